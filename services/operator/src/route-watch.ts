import type { Logger } from '@hookrelay/platform';
import { KubeApiError, statusOf, type KubeApi, type KubeWebhookRoute } from './kube-api.js';

export interface RouteWatchHandlers {
  /** After each (re)list: every route that exists. One missing here was deleted while nobody watched. */
  synced(routes: KubeWebhookRoute[]): void;
  changed(type: 'ADDED' | 'MODIFIED' | 'DELETED', route: KubeWebhookRoute): void;
}

export interface RouteWatchOptions {
  /** The server ends each watch after about this long; it is then resumed from the last resourceVersion. */
  watchTimeoutSeconds?: number;
  /** A watch that delivers nothing, not even a bookmark, for this long is taken as dead (a half-open connection). */
  silenceLimitMs?: number;
  maxRetryDelayMs?: number;
}

const RELIST_AFTER_FAILURES = 4;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * List, then watch from the list's resourceVersion, for as long as it runs. A watch that ends or breaks is
 * resumed from the last resourceVersion seen (bookmarks included), after a backoff when it broke; a 410 Gone
 * (in the stream or as the answer) means that version is compacted away: list again, as after repeated errors.
 */
export class RouteWatch {
  private stopped = false;
  private controller: AbortController | undefined;
  private running: Promise<void> | undefined;
  private readonly watchTimeoutSeconds: number;
  private readonly silenceLimitMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(
    private readonly api: KubeApi,
    private readonly handlers: RouteWatchHandlers,
    private readonly log: Logger,
    options: RouteWatchOptions = {},
  ) {
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.silenceLimitMs = options.silenceLimitMs ?? (this.watchTimeoutSeconds + 60) * 1000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
  }

  start(): void {
    this.stopped = false;
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    let resourceVersion = '';
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!resourceVersion) resourceVersion = await this.relist();
        const { lastResourceVersion, eventsSeen } = await this.watchOnce(resourceVersion);
        resourceVersion = lastResourceVersion;
        // A watch that ends at once with nothing in it (a flapping connection) must not become a busy loop.
        failures = eventsSeen ? 0 : failures + 1;
        if (failures > 0) await sleep(this.retryDelay(failures));
      } catch (err) {
        if (this.stopped) break;
        if (statusOf(err) === 410) {
          this.log.info({ resourceVersion }, 'route watch expired (410 Gone); listing again');
          resourceVersion = '';
          continue;
        }
        failures++;
        // A broken connection resumes from where it was; a run of failures starts over with a list.
        if (failures >= RELIST_AFTER_FAILURES) resourceVersion = '';
        const delay = this.retryDelay(failures);
        this.log.warn({ err, retryInMs: delay, resourceVersion }, resourceVersion ? 'route watch broke; resuming' : 'route list/watch failed; listing again');
        await sleep(delay);
      }
    }
  }

  private retryDelay(failures: number): number {
    const exponential = Math.min(this.maxRetryDelayMs, 250 * 2 ** Math.min(failures, 10));
    return exponential / 2 + Math.random() * (exponential / 2);
  }

  /** Every page of the list, then `synced`; returns the resourceVersion to watch from. */
  private async relist(): Promise<string> {
    const routes: KubeWebhookRoute[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    let unreadable = 0;
    do {
      const page = await this.api.listRoutes(continueToken);
      routes.push(...page.routes);
      unreadable += page.unreadable;
      resourceVersion = page.resourceVersion;
      continueToken = page.continueToken;
    } while (continueToken && !this.stopped);
    if (unreadable > 0) this.log.warn({ unreadable }, 'ignoring list items that are not WebhookRoutes');
    this.handlers.synced(routes);
    return resourceVersion;
  }

  private watchOnce(fromResourceVersion: string): Promise<{ lastResourceVersion: string; eventsSeen: number }> {
    return new Promise((resolve, reject) => {
      let lastResourceVersion = fromResourceVersion;
      let eventsSeen = 0;
      let settled = false;
      let silence: NodeJS.Timeout | undefined;
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(silence);
        this.controller?.abort();
        if (err) reject(err);
        else resolve({ lastResourceVersion, eventsSeen });
      };
      const armSilenceTimer = () => {
        clearTimeout(silence);
        silence = setTimeout(() => finish(new Error(`route watch silent for ${this.silenceLimitMs} ms`)), this.silenceLimitMs);
        silence.unref();
      };
      armSilenceTimer();
      this.api
        .watchRoutes(
          fromResourceVersion,
          this.watchTimeoutSeconds,
          (event) => {
            if (settled) return;
            armSilenceTimer();
            eventsSeen++;
            if (event.type === 'ERROR') {
              finish(new KubeApiError(event.code, `route watch: ${event.message}`));
            } else if (event.type === 'BOOKMARK') {
              lastResourceVersion = event.resourceVersion;
            } else {
              lastResourceVersion = event.object.metadata.resourceVersion ?? lastResourceVersion;
              this.handlers.changed(event.type, event.object);
            }
          },
          (err: unknown) => finish(this.stopped ? null : err),
        )
        .then((controller) => {
          this.controller = controller;
          if (settled || this.stopped) controller.abort();
        }, finish);
    });
  }
}
