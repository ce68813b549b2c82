import type { KV } from '@nats-io/kv';
import { routeStatusKey, type RouteStatusEntry } from '@hookrelay/schemas';
import type { Logger } from '@hookrelay/platform';
import type { OperatorRouteStatus } from './index.js';

/** Key of one status: the source, plus which document of a file (a file may hold several). */
function keyOf(status: OperatorRouteStatus, index: number): string {
  return routeStatusKey('file' in status ? `${status.source}/${status.name ?? index}` : status.source);
}

/**
 * Mirrors the operator's route statuses into the KV bucket `route-status`, for the gateway and the console,
 * which reach only NATS. Runs while this operator leads; writes only what changed, and removes the entries of
 * its own kind (`local/` or Kubernetes) that no longer have a document.
 */
export class RouteStatusPublisher {
  private published = new Map<string, string>();
  private cleaned = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly kv: KV,
    private readonly statuses: () => OperatorRouteStatus[],
    private readonly isLeader: () => boolean,
    private readonly ownsKey: (key: string) => boolean,
    private readonly log: Logger,
  ) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.sync(), intervalMs);
    void this.sync();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  sync(): Promise<void> {
    this.running = this.running.then(() => this.syncOnce()).catch((err: unknown) => this.log.warn({ err }, 'could not publish route statuses'));
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    if (!this.isLeader()) {
      this.cleaned = false;
      return;
    }
    const current = new Map<string, string>();
    const counts = new Map<string, number>();
    for (const status of this.statuses()) {
      const index = counts.get(status.source) ?? 0;
      counts.set(status.source, index + 1);
      const entry: Omit<RouteStatusEntry, 'updatedAt'> = {
        source: status.source,
        projectId: status.projectId,
        ready: status.ready,
        reason: status.reason,
        message: status.message,
        observedGeneration: status.observedGeneration,
      };
      current.set(keyOf(status, index), JSON.stringify(entry));
    }
    for (const [key, json] of current) {
      if (this.published.get(key) === json) continue;
      await this.kv.put(key, JSON.stringify({ ...JSON.parse(json), updatedAt: Date.now() }));
    }
    const stale = this.cleaned ? [...this.published.keys()] : await this.ownKeys();
    for (const key of stale) if (!current.has(key)) await this.kv.delete(key);
    this.cleaned = true;
    this.published = current;
  }

  /** Keys of this operator's kind in the bucket, including those left by a run before this one. */
  private async ownKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) if (this.ownsKey(key)) keys.push(key);
    return keys;
  }
}
