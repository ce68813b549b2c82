import type { JetStreamClient } from '@nats-io/jetstream';
import { Consumers, Streams } from '@hookrelay/schemas';
import type { Logger, RouteCache, Semaphore } from '@hookrelay/platform';
import { ConsumeLoop } from './consume-loop.js';
import type { Deliverer } from './deliver.js';

/** One consume loop per route (its durable consumer `route-<project>`), following the routes as they change. */
export class RouteConsumers {
  private readonly loops = new Map<string, ConsumeLoop>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly js: JetStreamClient,
    routes: RouteCache,
    private readonly deliverer: Deliverer,
    private readonly slots: Semaphore,
    private readonly log: Logger,
  ) {
    for (const route of routes.all()) this.start(route.projectId);
    this.unsubscribe = routes.onRouteChange(({ projectId, route }) => {
      if (route) this.start(projectId);
      else void this.loops.get(projectId)?.stop();
      if (!route) this.loops.delete(projectId);
    });
  }

  private start(projectId: string): void {
    if (this.loops.has(projectId)) return;
    this.log.info({ projectId }, 'delivering for route');
    this.loops.set(
      projectId,
      new ConsumeLoop(this.js, {
        stream: Streams.deliveries,
        consumer: Consumers.route(projectId),
        maxMessages: 64,
        slots: this.slots,
        handle: this.deliverer.handle,
        log: this.log,
      }),
    );
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await Promise.all([...this.loops.values()].map((l) => l.stop()));
    this.loops.clear();
  }
}
