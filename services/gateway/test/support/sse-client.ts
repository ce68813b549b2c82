import { FeedEntry } from '@hookrelay/schemas';
import { eventually } from '@hookrelay/test-support';

/** One Server-Sent Event as the EventSource algorithm dispatches it. */
export interface SseEvent {
  id: string;
  event: string;
  data: string;
}

export interface FeedEvent {
  seq: number;
  entry: FeedEntry;
}

/**
 * An EventSource-style client over fetch: parses the stream as the HTML spec's event-stream algorithm does
 * (fields, comments, CR/LF/CRLF, the leading space, multi-line data, the last event id), and records what
 * arrives. It does not reconnect by itself: a test reconnects with `lastEventId` to control the moment.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  lastEventId = '';
  retryMs: number | undefined;
  private readonly controller = new AbortController();
  private ended = false;
  private endError: unknown;
  readonly done: Promise<void>;

  private constructor(readonly response: Response) {
    // An error answer is left unread, for the test to look at.
    const streaming = response.status === 200 && (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
    this.done = (streaming ? this.read() : Promise.resolve()).catch((err: unknown) => {
      if (!this.controller.signal.aborted) this.endError = err;
    }).finally(() => (this.ended = true));
  }

  /** Opens the stream; resolves once the response headers arrived (status checked by the caller). */
  static async connect(url: string, init: { token?: string; lastEventId?: string; headers?: Record<string, string> } = {}): Promise<SseClient> {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...init.headers };
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
    if (init.lastEventId !== undefined) headers['last-event-id'] = init.lastEventId;
    const controller = new AbortController();
    const response = await fetch(url, { headers, signal: controller.signal });
    const client = new SseClient(response);
    client.controller.signal.addEventListener('abort', () => controller.abort());
    return client;
  }

  /** Connects and waits for the `: live` comment: from then on every new feed entry reaches this client. */
  static async live(url: string, init: { token?: string; lastEventId?: string } = {}): Promise<SseClient> {
    const client = await SseClient.connect(url, init);
    if (client.response.status !== 200) {
      throw new Error(`feed ${url} answered ${client.response.status}: ${await client.response.text()}`);
    }
    await eventually(() => client.comments.includes('live') || client.isClosed, { what: 'the feed to go live' });
    if (!client.comments.includes('live')) throw new Error(`feed closed before going live: ${String(client.endError)}`);
    return client;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Feed entries received, parsed. */
  get feed(): FeedEvent[] {
    return this.events.filter((e) => e.event === 'message').map((e) => ({ seq: Number(e.id), entry: FeedEntry.parse(JSON.parse(e.data)) }));
  }

  async waitFor<T>(check: (client: SseClient) => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
    return eventually(() => check(this), { what, timeoutMs });
  }

  close(): Promise<void> {
    this.controller.abort();
    return this.done;
  }

  private async read(): Promise<void> {
    if (!this.response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    let data: string[] = [];
    let eventType = '';
    let sawCr = false;
    const dispatchLine = (line: string) => {
      if (line === '') {
        if (data.length > 0) this.events.push({ id: this.lastEventId, event: eventType || 'message', data: data.join('\n') });
        data = [];
        eventType = '';
        return;
      }
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trimStart());
        return;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') eventType = value;
      else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
      else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    };
    const reader = this.response.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const ch = buffer[i];
        if (ch === '\n' && sawCr) {
          // the LF of a CRLF: the line already ended at the CR
          sawCr = false;
          start = i + 1;
          continue;
        }
        sawCr = ch === '\r';
        if (ch === '\n' || ch === '\r') {
          dispatchLine(buffer.slice(start, i));
          start = i + 1;
        }
      }
      buffer = buffer.slice(start);
    }
  }
}
