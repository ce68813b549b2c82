import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { RouteConfig, ROUTES_BUCKET } from '@hookrelay/schemas';
import type { Logger } from 'pino';

export type RouteChange = { projectId: string; route: RouteConfig | undefined };

/**
 * Every route in the KV bucket `routes`, kept current by a watch. The watch replays all keys first, so
 * `ready` resolves once the cache holds what the bucket held at start.
 */
export class RouteCache {
  private readonly routes = new Map<string, RouteConfig>();
  private readonly listeners = new Set<(change: RouteChange) => void>();
  private stopped = false;
  private stopWatch: (() => void) | undefined;
  readonly ready: Promise<void>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {
    let markReady!: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    void this.run(markReady);
  }

  get(projectId: string): RouteConfig | undefined {
    return this.routes.get(projectId);
  }

  all(): RouteConfig[] {
    return [...this.routes.values()];
  }

  onChange(listener: (change: RouteChange) => void): () => void {
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
        const kv: KV = await new Kvm(this.nc).open(ROUTES_BUCKET);
        if ((await kv.status()).values === 0) markReady();
        const watch = await kv.watch();
        this.stopWatch = () => watch.stop();
        for await (const entry of watch) {
          if (entry.operation === 'PUT') {
            const parsed = RouteConfig.safeParse(entry.json());
            if (parsed.success) this.set(entry.key, parsed.data);
            else this.log.error({ projectId: entry.key, issues: parsed.error.issues }, 'ignoring an unreadable route in KV');
          } else {
            this.set(entry.key, undefined);
          }
          if (entry.isUpdate || entry.delta === 0) markReady();
        }
      } catch (err) {
        if (!this.stopped) this.log.warn({ err }, 'route watch failed; retrying');
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private set(projectId: string, route: RouteConfig | undefined): void {
    if (route) this.routes.set(projectId, route);
    else this.routes.delete(projectId);
    for (const listener of this.listeners) listener({ projectId, route });
  }
}
