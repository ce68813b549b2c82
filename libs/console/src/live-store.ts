import { useEffect, useState } from 'preact/hooks';
import { UnauthorizedError } from './api/client.js';
import { FeedConnection, type ConnectionState } from './api/feed-connection.js';
import type { FeedEntry, TargetState, WebhookStatus, WebhookSummary } from './api/schemas.js';
import type { Session } from './session.js';

/** One webhook in the live list: from the history (a summary) or from the feed (an entry). */
export interface FeedRow {
  id: string;
  projectId: string;
  method: string;
  path: string;
  receivedAt: number;
  status: WebhookStatus;
  targets: TargetState[];
  /** Epoch ms of the last change this console saw: rows that just changed are highlighted. */
  changedAt: number | undefined;
}

const FIRST_PAGE = 100;
const OLDER_PAGE = 100;
/** Live rows beyond this are dropped from the bottom, so a busy feed left open does not grow without end. */
const MAX_ROWS = 1000;

const newerFirst = (a: FeedRow, b: FeedRow): number => b.receivedAt - a.receivedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

function fromSummary(w: WebhookSummary): FeedRow {
  return { id: w.id, projectId: w.projectId, method: w.method, path: w.path, receivedAt: w.receivedAt, status: w.status, targets: w.targets, changedAt: undefined };
}

/**
 * The live list behind the Live page, kept for the whole session so that leaving for a webhook's page and
 * coming back finds the list (and the reader's place) as it was, still updated meanwhile.
 *
 * It opens the feed first and then reads the first page of history, so nothing falls between the two; a
 * history row never overwrites what the feed already said about a webhook (the feed is at least as new).
 * While the reader is scrolled away from the top (`following` false), new webhooks wait in `pending`
 * instead of pushing the list down under them; status changes of rows already shown apply in place.
 */
export class LiveStore {
  rows: FeedRow[] = [];
  pending: FeedRow[] = [];
  following = true;
  connection: ConnectionState = { kind: 'connecting' };
  scope: string | undefined;
  historyState: 'loading' | 'loaded' | 'error' = 'loading';
  historyError: string | undefined;
  /** Set while there may be older webhooks than the last row. */
  hasOlder = false;
  loadingOlder = false;

  private cursor: string | undefined;
  private byId = new Map<string, FeedRow>();
  private feed: FeedConnection | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly entryListeners = new Set<(entry: FeedEntry) => void>();
  private notifyScheduled = false;
  private generation = 0;
  private started = false;

  constructor(
    private readonly session: Session,
    private readonly onUnauthorized: () => void,
  ) {
    this.scope = session.ownProject;
  }

  /** Whether this store's feed carries the entries of `projectId`. */
  covers(projectId: string): boolean {
    return this.scope === undefined || this.scope === projectId;
  }

  start(): void {
    this.started = true;
    if (!this.feed) this.connect();
  }

  stop(): void {
    this.started = false;
    this.disconnect();
  }

  /**
   * All projects (undefined) or one: reconnects to that feed and starts the list afresh. Before start()
   * (a page's effects run before the app's), it only records the scope start() will use.
   */
  setScope(projectId: string | undefined): void {
    if (this.session.ownProject !== undefined) projectId = this.session.ownProject;
    if (projectId === this.scope) return;
    this.scope = projectId;
    if (!this.started) return;
    this.disconnect();
    this.connect();
  }

  private disconnect(): void {
    this.feed?.stop();
    this.feed = undefined;
  }

  reconnectNow(): void {
    this.feed?.reconnectNow();
  }

  setFollowing(following: boolean): void {
    if (following === this.following) return;
    this.following = following;
    if (following) this.showPending();
    else this.changed();
  }

  showPending(): void {
    if (this.pending.length === 0) return;
    for (const row of this.pending) this.insert(row);
    this.pending = [];
    this.trim();
    this.changed();
  }

  async loadOlder(): Promise<void> {
    if (this.loadingOlder || !this.hasOlder) return;
    const generation = this.generation;
    this.loadingOlder = true;
    this.changed();
    try {
      const oldest = this.rows.at(-1);
      // After rows were dropped from the bottom the cursor no longer follows on: page by time instead.
      const page = await this.session.api.listWebhooks(
        this.cursor !== undefined ? { projectId: this.scope, limit: OLDER_PAGE, cursor: this.cursor } : { projectId: this.scope, limit: OLDER_PAGE, until: oldest?.receivedAt },
      );
      if (generation !== this.generation) return;
      for (const item of page.items) if (!this.byId.has(item.id)) this.insert(fromSummary(item));
      this.cursor = page.nextCursor;
      this.hasOlder = page.nextCursor !== undefined;
    } finally {
      this.loadingOlder = false;
      this.changed();
    }
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every entry the feed brings, for pages that show one webhook or a selection. */
  onEntry(listener: (entry: FeedEntry) => void): () => void {
    this.entryListeners.add(listener);
    return () => this.entryListeners.delete(listener);
  }

  private connect(): void {
    const generation = ++this.generation;
    this.rows = [];
    this.pending = [];
    this.byId.clear();
    this.cursor = undefined;
    this.hasOlder = false;
    this.historyState = 'loading';
    this.historyError = undefined;
    const scope = this.scope;
    const api = this.session.api;
    let historyRequested = false;
    this.feed = new FeedConnection({
      url: (lastEventId) => api.feedUrl(scope, lastEventId),
      onEntry: (entry) => this.applyEntry(entry),
      onState: (state) => {
        this.connection = state;
        // The history is read once the feed is open, so every change after it reaches the list.
        if (state.kind === 'live' && !historyRequested) {
          historyRequested = true;
          void this.loadFirstPage(generation);
        }
        this.changed();
      },
      tokenStillValid: () => api.listProjects().then(() => true, (err: unknown) => !(err instanceof UnauthorizedError)),
      onUnauthorized: this.onUnauthorized,
    });
    this.feed.start();
    this.changed();
  }

  private async loadFirstPage(generation: number): Promise<void> {
    try {
      const page = await this.session.api.listWebhooks({ projectId: this.scope, limit: FIRST_PAGE });
      if (generation !== this.generation) return;
      for (const item of page.items) if (!this.byId.has(item.id)) this.insert(fromSummary(item));
      this.cursor = page.nextCursor;
      this.hasOlder = page.nextCursor !== undefined;
      this.historyState = 'loaded';
    } catch (err) {
      if (generation !== this.generation) return;
      if (err instanceof UnauthorizedError) return this.onUnauthorized();
      this.historyState = 'error';
      this.historyError = err instanceof Error ? err.message : String(err);
    }
    this.changed();
  }

  private applyEntry(entry: FeedEntry): void {
    for (const listener of this.entryListeners) listener(entry);
    const known = this.byId.get(entry.id);
    const now = Date.now();
    if (known) {
      // In place: the row keeps its position (its receivedAt does not change), so nothing jumps.
      known.status = entry.status;
      known.targets = entry.targets;
      known.changedAt = now;
      if (known.method === '' && entry.method !== '') {
        known.method = entry.method;
        known.path = entry.path;
      }
      this.changed();
      return;
    }
    const row: FeedRow = { ...entry, changedAt: now };
    const oldest = this.rows.at(-1);
    // A webhook older than the loaded part of the history (say, an old one being retried) is left for
    // "Load older" to bring in its place.
    if (this.hasOlder && oldest && newerFirst(row, oldest) > 0) return;
    this.byId.set(row.id, row);
    if (this.following) {
      this.insert(row);
      this.trim();
    } else {
      this.pending.unshift(row);
    }
    this.changed();
  }

  private insert(row: FeedRow): void {
    this.byId.set(row.id, row);
    // Binary search: the new row usually goes at the top, history rows at the bottom.
    let low = 0;
    let high = this.rows.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (newerFirst(this.rows[mid] as FeedRow, row) < 0) low = mid + 1;
      else high = mid;
    }
    this.rows.splice(low, 0, row);
  }

  private trim(): void {
    if (this.rows.length <= MAX_ROWS) return;
    for (const dropped of this.rows.splice(MAX_ROWS)) this.byId.delete(dropped.id);
    this.cursor = undefined;
    this.hasOlder = true;
  }

  /** Listeners hear once per frame, however many entries a burst brought. */
  private changed(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    requestAnimationFrame(() => {
      this.notifyScheduled = false;
      for (const listener of this.listeners) listener();
    });
  }
}

/** Re-renders the caller whenever the store changes. */
export function useStore(store: LiveStore): LiveStore {
  const [, setVersion] = useState(0);
  useEffect(() => store.subscribe(() => setVersion((v) => v + 1)), [store]);
  return store;
}
