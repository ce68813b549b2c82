import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { z } from 'zod';
import { RouteConfig, RouteStatusEntry, ROUTES_BUCKET, ROUTE_STATUS_BUCKET } from '@hookrelay/schemas';
import type { Logger } from 'pino';

export type KvChange<T> = { key: string; value: T | undefined };

/**
 * Every entry of a KV bucket, parsed with `schema` and kept current by a watch. The watch replays all keys
 * first, so `ready` resolves once the cache holds what the bucket held at start.
 */
export class KvCache<T> {
  private readonly entries = new Map<string, T>();
  private readonly listeners = new Set<(change: KvChange<T>) => void>();
  private stopped = false;
  private stopWatch: (() => void) | undefined;
  readonly ready: Promise<void>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly bucket: string,
    private readonly schema: z.ZodType<T>,
    private readonly log: Logger,
  ) {
    let markReady!: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    void this.run(markReady);
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  all(): T[] {
    return [...this.entries.values()];
  }

  onChange(listener: (change: KvChange<T>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
  }

  private async run(markReady: () => void): Promise<void> {
    // A watch ends when the connection closes for good; it is restarted while the cache is in use.
    while (!this.stopped && !this.nc.isClosed()) {
      try {
        const kv: KV = await new Kvm(this.nc).open(this.bucket);
        if ((await kv.status()).values === 0) markReady();
        const watch = await kv.watch();
        this.stopWatch = () => watch.stop();
        for await (const entry of watch) {
          if (entry.operation === 'PUT') {
            const parsed = this.schema.safeParse(entry.json());
            if (parsed.success) this.set(entry.key, parsed.data);
            else this.log.error({ bucket: this.bucket, key: entry.key, issues: parsed.error.issues }, 'ignoring an unreadable KV entry');
          } else {
            this.set(entry.key, undefined);
          }
          if (entry.isUpdate || entry.delta === 0) markReady();
        }
      } catch (err) {
        if (!this.stopped) this.log.warn({ err, bucket: this.bucket }, 'KV watch failed; retrying');
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private set(key: string, value: T | undefined): void {
    if (value) this.entries.set(key, value);
    else this.entries.delete(key);
    for (const listener of this.listeners) listener({ key, value });
  }
}

export type RouteChange = { projectId: string; route: RouteConfig | undefined };

/** Every route in the KV bucket `routes` (key = projectId). */
export class RouteCache extends KvCache<RouteConfig> {
  constructor(nc: NatsConnection, log: Logger) {
    super(nc, ROUTES_BUCKET, RouteConfig, log);
  }

  onRouteChange(listener: (change: RouteChange) => void): () => void {
    return this.onChange(({ key, value }) => listener({ projectId: key, route: value }));
  }
}

/** The operator's status of every route document (KV bucket `route-status`). */
export class RouteStatusCache extends KvCache<RouteStatusEntry> {
  constructor(nc: NatsConnection, log: Logger) {
    super(nc, ROUTE_STATUS_BUCKET, RouteStatusEntry, log);
  }
}
