import type { Server } from 'node:http';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { ROUTES_BUCKET } from '@hookrelay/schemas';
import {
  boundPort,
  closeServer,
  connectNats,
  createLogger,
  createMetricsRegistry,
  provisionJetStream,
  startOpsServer,
  type Logger,
  type RunningService,
} from '@hookrelay/platform';
import { operatorModeOf, type OperatorConfig, type OperatorMode } from './config.js';
import { LocalRouteSource, type LocalRouteStatus } from './local-source.js';
import { operatorMetrics } from './metrics.js';
import { RouteStore } from './route-store.js';

export { OperatorConfig, operatorModeOf, type OperatorMode } from './config.js';
export { LocalRouteSource, localSourceOf, type LocalRouteStatus, type LocalSourceOptions } from './local-source.js';
export {
  reconcileRoute,
  releaseRoutes,
  validateRoute,
  describeIssues,
  webhookUrlOf,
  type ReconcileContext,
  type RouteReason,
  type RouteStatus,
  type RouteValidation,
} from './reconcile.js';
export { RouteStore, RouteChangedConcurrentlyError, routeConsumerConfig, type StoredRoute } from './route-store.js';
export { parseRouteFile, type RouteFileDocument } from './route-file.js';

export interface RunningOperator extends RunningService {
  mode: OperatorMode;
  /** The health and metrics port (OPERATOR_PORT; the bound one when it was 0). */
  port: number;
  /** The status of every route document the operator has seen. */
  statuses(): LocalRouteStatus[];
}

/** Connects, provisions, reconciles every route from its source and keeps doing so; serves health and metrics. */
export async function startOperator(config: OperatorConfig, log: Logger = createLogger('operator')): Promise<RunningOperator> {
  const mode = operatorModeOf(config);
  if (mode === 'kubernetes') throw new Error('OPERATOR_MODE=kubernetes is not available yet; use OPERATOR_MODE=local');
  const { nc, isConnected } = await connectNats(config.NATS_URL, 'operator', log);
  await provisionJetStream(nc, { replicas: config.STREAM_REPLICAS, historyRetentionMs: config.HISTORY_RETENTION });
  const store = new RouteStore(await new Kvm(nc).open(ROUTES_BUCKET), await jetstreamManager(nc), log);
  const registry = createMetricsRegistry('operator');
  // Read at scrape time only, after `source` exists.
  const metrics = operatorMetrics(registry, () => source.statuses());
  const source = new LocalRouteSource({ dir: config.ROUTES_DIR, store, publicUrl: config.HOOKRELAY_PUBLIC_URL, log, metrics });
  let started = false;
  const server: Server = await startOpsServer(config.OPERATOR_PORT, registry, { ready: () => started && isConnected() });
  await source.start();
  started = true;
  log.info({ mode, dir: config.ROUTES_DIR, routes: source.statuses().length }, 'operator reconciled every route');
  return {
    mode,
    port: boundPort(server),
    statuses: () => source.statuses(),
    async stop() {
      await source.stop();
      await closeServer(server);
      await nc.drain();
    },
  };
}
