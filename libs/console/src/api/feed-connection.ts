import { FeedEntry } from './schemas.js';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  /** Lost; the next try is at `retryAt` (epoch ms), or already under way when the browser retries itself. */
  | { kind: 'reconnecting'; retryAt: number | undefined; attempt: number }
  | { kind: 'closed' };

export interface FeedConnectionOptions {
  /** The feed's URL, resuming after `lastEventId` when given. */
  url(lastEventId: string | undefined): string;
  onEntry(entry: FeedEntry, seq: number): void;
  onState(state: ConnectionState): void;
  /**
   * Asked when the gateway refused the stream (EventSource does not say why): true when the token is still
   * good, and reconnecting is worth it.
   */
  tokenStillValid(): Promise<boolean>;
  onUnauthorized(): void;
}

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/**
 * One live feed over Server-Sent Events that stays connected. A dropped connection is retried by the
 * browser itself, which sends Last-Event-ID; a refused one (the gateway answered an error, e.g. while it
 * restarts) closes the EventSource for good, so a new one is opened with backoff and `?lastEventId=`,
 * and nothing is missed either way. Entries at or below the last sequence seen are ignored.
 */
export class FeedConnection {
  private source: EventSource | undefined;
  private lastEventId: string | undefined;
  private lastSeq = 0;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private state: ConnectionState = { kind: 'connecting' };

  constructor(private readonly options: FeedConnectionOptions) {}

  start(): void {
    this.stopped = false;
    window.addEventListener('online', this.reconnectNow);
    this.open();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.reconnectNow);
    clearTimeout(this.timer);
    this.source?.close();
    this.source = undefined;
    this.setState({ kind: 'closed' });
  }

  get current(): ConnectionState {
    return this.state;
  }

  /** Skips the wait before the next try (the "Reconnect now" button, or the browser coming back online). */
  readonly reconnectNow = (): void => {
    if (this.stopped || this.state.kind === 'live') return;
    clearTimeout(this.timer);
    this.source?.close();
    this.open();
  };

  private open(): void {
    this.setState(this.attempt === 0 ? { kind: 'connecting' } : { kind: 'reconnecting', retryAt: undefined, attempt: this.attempt });
    const source = new EventSource(this.options.url(this.lastEventId));
    this.source = source;
    source.onopen = () => {
      this.attempt = 0;
      this.setState({ kind: 'live' });
    };
    source.onmessage = (event: MessageEvent<string>) => this.received(event);
    source.onerror = () => {
      if (this.source !== source || this.stopped) return;
      if (source.readyState === EventSource.CONNECTING) {
        // The browser retries by itself (after the server's `retry:`), with Last-Event-ID.
        this.attempt++;
        this.setState({ kind: 'reconnecting', retryAt: undefined, attempt: this.attempt });
        return;
      }
      source.close();
      this.source = undefined;
      void this.retryLater();
    };
  }

  private received(event: MessageEvent<string>): void {
    const seq = Number(event.lastEventId);
    if (Number.isFinite(seq) && seq > 0) {
      if (seq <= this.lastSeq) return;
      this.lastSeq = seq;
      this.lastEventId = event.lastEventId;
    }
    let json: unknown;
    try {
      json = JSON.parse(event.data);
    } catch {
      return;
    }
    const parsed = FeedEntry.safeParse(json);
    if (parsed.success) this.options.onEntry(parsed.data, seq);
  }

  private async retryLater(): Promise<void> {
    this.attempt++;
    const valid = await this.options.tokenStillValid().catch(() => true);
    if (this.stopped) return;
    if (!valid) {
      this.stop();
      this.options.onUnauthorized();
      return;
    }
    const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.min(this.attempt - 1, 5));
    // Jitter, so many consoles do not come back at the same instant after a gateway restart.
    const wait = Math.round(delay * (0.75 + Math.random() * 0.5));
    this.setState({ kind: 'reconnecting', retryAt: Date.now() + wait, attempt: this.attempt });
    this.timer = setTimeout(() => this.open(), wait);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.options.onState(state);
  }
}
