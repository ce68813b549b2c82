import type { WebhookRouteSpec } from '@hookrelay/schemas';
import type { Logger } from '@hookrelay/platform';
import { statusOf, type KubeApi, type KubeWebhookRoute } from './kube-api.js';
import { LOCAL_SOURCE_PREFIX } from './local-source.js';
import type { OperatorMetrics } from './metrics.js';
import { failedStatus, reconcileRoute, releaseRoutes, type RouteStatus } from './reconcile.js';
import { routeStatusFor, type WebhookRouteStatus } from './route-status.js';
import type { RouteStore } from './route-store.js';
import { RouteWatch, type RouteWatchOptions } from './route-watch.js';
import { describeSecretRef, secretRefsOf } from './secrets.js';
import { WorkQueue } from './work-queue.js';

/** The status of one WebhookRoute object, as last written to its `.status`. */
export interface KubeRouteStatus extends RouteStatus {
  /** `namespace/name`: the owner written into its route. */
  source: string;
  namespace: string;
  name: string;
}

export interface KubeSourceOptions {
  api: KubeApi;
  store: RouteStore;
  publicUrl: string;
  log: Logger;
  metrics?: OperatorMetrics;
  /** Watch one namespace; all when undefined. */
  namespace?: string;
  /** Names the operator in Events (`source.component`). */
  component?: string;
  /** Every route is reconciled again this often, repairing drift and retrying conflicts. */
  resyncIntervalMs?: number;
  watch?: RouteWatchOptions;
}

/** A route waits for a Secret it names: not a failure, but it is looked at again. */
class WaitingForSecretError extends Error {
  override readonly name = 'WaitingForSecretError';
}

const sourceOf = (route: KubeWebhookRoute): string => `${route.metadata.namespace}/${route.metadata.name}`;

/**
 * Kubernetes mode: WebhookRoute objects, watched; each change goes through a work queue to reconcileRoute,
 * then to the object's `.status` and, when the outcome changes, an Event. A route whose object is gone,
 * also one deleted while no operator watched, is removed at the next (re)list.
 */
export class KubeRouteSource {
  private readonly known = new Map<string, KubeWebhookRoute>();
  private readonly results = new Map<string, KubeRouteStatus>();
  private readonly queue: WorkQueue;
  private readonly watch: RouteWatch;
  private resync: NodeJS.Timeout | undefined;
  private readonly component: string;
  private firstSync: Promise<void>;
  private markSynced: () => void = () => {};
  private stopping = false;

  constructor(private readonly options: KubeSourceOptions) {
    this.component = options.component ?? 'hookrelay-operator';
    this.queue = new WorkQueue(
      (key) => this.process(key),
      (key, err, retryInMs) =>
        err instanceof WaitingForSecretError
          ? options.log.debug({ route: key, retryInMs }, 'waiting for a secret')
          : options.log.warn({ err, route: key, retryInMs }, 'reconcile failed; retrying'),
    );
    this.watch = new RouteWatch(options.api, { synced: (routes) => this.synced(routes), changed: (type, route) => this.changed(type, route) }, options.log, options.watch);
    this.firstSync = this.newSyncPromise();
  }

  private newSyncPromise(): Promise<void> {
    return new Promise((resolve) => (this.markSynced = resolve));
  }

  /** Starts watching; resolves after the first list has been queued (not yet reconciled), or on stop(). */
  async start(): Promise<void> {
    this.stopping = false;
    // NATS may be away for a moment; the routes it holds are needed to tell what was deleted meanwhile.
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.options.store.load();
        break;
      } catch (err) {
        const delay = Math.min(30_000, 500 * 2 ** attempt);
        this.options.log.warn({ err, retryInMs: delay }, 'could not read the routes in NATS; retrying');
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
    if (this.stopping) return;
    this.watch.start();
    this.resync = setInterval(() => {
      for (const key of this.known.keys()) this.queue.add(key);
    }, this.options.resyncIntervalMs ?? 60_000);
    this.resync.unref();
    await this.firstSync;
  }

  /** Stops watching and reconciling (on shutdown, or when another replica leads). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.markSynced();
    clearInterval(this.resync);
    await this.watch.stop();
    this.queue.clear();
    this.known.clear();
    this.firstSync = this.newSyncPromise();
  }

  async close(): Promise<void> {
    await this.stop();
    await this.queue.stop();
  }

  statuses(): KubeRouteStatus[] {
    return [...this.results.values()];
  }

  private synced(routes: KubeWebhookRoute[]): void {
    const listed = new Set(routes.map(sourceOf));
    for (const key of this.known.keys()) if (!listed.has(key)) this.queue.add(key);
    this.known.clear();
    for (const route of routes) {
      this.known.set(sourceOf(route), route);
      this.queue.add(sourceOf(route));
    }
    // Routes in NATS whose object is gone: deleted while no operator was watching.
    for (const source of this.options.store.sources()) {
      if (listed.has(source) || source.startsWith(LOCAL_SOURCE_PREFIX)) continue;
      if (this.options.namespace && !source.startsWith(`${this.options.namespace}/`)) continue;
      this.queue.add(source);
    }
    this.markSynced();
  }

  private changed(type: 'ADDED' | 'MODIFIED' | 'DELETED', route: KubeWebhookRoute): void {
    const key = sourceOf(route);
    if (type === 'DELETED') this.known.delete(key);
    else this.known.set(key, route);
    this.queue.add(key);
  }

  private async process(key: string): Promise<void> {
    const { store, log } = this.options;
    const route = this.known.get(key);
    if (!route) {
      const removed = await releaseRoutes(store, key);
      this.results.delete(key);
      if (removed.length > 0) {
        log.info({ route: key, projectIds: removed }, 'WebhookRoute deleted; route removed');
        this.retryConflicts();
      }
      return;
    }
    let result: RouteStatus;
    let failure: unknown;
    try {
      result = await reconcileRoute(route, {
        store,
        source: key,
        publicUrl: this.options.publicUrl,
        generation: route.metadata.generation ?? 0,
        checkSecrets: (spec) => this.refuseLocalSecretRefs(spec),
        // Resolved values travel in the route (KV), so ingest and the forwarder need no access to Secrets.
        readSecret: (ref) => (ref.name && ref.key ? this.options.api.readSecretKey(route.metadata.namespace, ref.name, ref.key) : Promise.resolve(undefined)),
      });
    } catch (err) {
      failure = err;
      result = failedStatus(err);
    }
    this.options.metrics?.reconciled(result);
    if (result.ready && result.projectId) {
      // The projectId is immutable, but an object edited while no operator ran may have moved anyway.
      const moved = await releaseRoutes(store, key, new Set([result.projectId]));
      if (moved.length > 0) this.retryConflicts();
    }
    await this.report(key, route, result);
    // Rethrown after the status is written, so the queue retries with backoff.
    if (failure) throw failure;
    // Secrets are not watched: look again, less and less often, until it appears.
    if (result.reason === 'SecretNotFound') throw new WaitingForSecretError(result.message);
  }

  /** env and file would read the operator's own environment and files: never for a namespaced object. */
  private async refuseLocalSecretRefs(spec: WebhookRouteSpec): Promise<RouteStatus | undefined> {
    const local = secretRefsOf(spec).filter(({ ref }) => !(ref.name && ref.key));
    if (local.length === 0) return undefined;
    const fields = local.map(({ field, ref }) => `${field} (${describeSecretRef(ref)})`).join(', ');
    return { ready: false, reason: 'InvalidSpec', message: `in Kubernetes a secret reference names a Secret and a key: ${fields}` };
  }

  /** Writes `.status` when it changed, with an Event and a log line when the outcome changed. */
  private async report(key: string, route: KubeWebhookRoute, result: RouteStatus): Promise<void> {
    const { api, log } = this.options;
    const previous = this.results.get(key);
    const current: KubeRouteStatus = { ...result, source: key, namespace: route.metadata.namespace, name: route.metadata.name };
    this.results.set(key, current);
    const generation = route.metadata.generation ?? 0;
    const status = routeStatusFor(result, generation, route.status, new Date());
    if (!sameStatus(route.status, status)) {
      try {
        await api.patchRouteStatus(route.metadata.namespace, route.metadata.name, status);
      } catch (err) {
        // A route deleted meanwhile answers 404: its DELETED event follows. Anything else is retried.
        if (statusOf(err) !== 404) throw err;
      }
    }
    const outcomeChanged = !previous || previous.reason !== result.reason || previous.message !== result.message;
    if (!outcomeChanged) return;
    const fields = { route: key, generation, reason: result.reason, ...(result.projectId ? { projectId: result.projectId } : {}) };
    if (result.ready) log.info(fields, `route ready: ${result.message}`);
    else log.warn(fields, `route not ready: ${result.message}`);
    try {
      await api.recordEvent(route, result.ready ? 'Normal' : 'Warning', result.reason, result.message, this.component);
    } catch (err) {
      log.debug({ err, route: key }, 'could not record an Event');
    }
  }

  /** A project that was let go may be what a conflicting route waits for. */
  private retryConflicts(): void {
    for (const [key, status] of this.results) if (status.reason === 'ProjectIdConflict') this.queue.add(key);
  }
}

/** Compares two statuses whatever their key order (the API server may return keys sorted). */
function sameStatus(a: WebhookRouteStatus | undefined, b: WebhookRouteStatus): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(Object.entries(value).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => [k, canonical(v)]))
        : value;
  return JSON.stringify(canonical(a ?? {})) === JSON.stringify(canonical(b));
}
