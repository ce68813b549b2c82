import type { Server } from 'node:http';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { KubeConfig } from '@kubernetes/client-node';
import { ROUTES_BUCKET, ROUTE_STATUS_BUCKET } from '@hookrelay/schemas';
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
import { KubeApi, defaultKubeConfig } from './kube-api.js';
import { KubeRouteSource, type KubeRouteStatus } from './kube-source.js';
import { LeaseLeaderElection } from './leader-election.js';
import { LOCAL_SOURCE_PREFIX, LocalRouteSource, type LocalRouteStatus } from './local-source.js';
import { RouteStatusPublisher } from './status-publisher.js';
import { operatorMetrics, type OperatorMetrics } from './metrics.js';
import type { RouteWatchOptions } from './route-watch.js';
import { RouteStore } from './route-store.js';

export { OperatorConfig, operatorModeOf, type OperatorMode } from './config.js';
export { LocalRouteSource, localSourceOf, type LocalRouteStatus, type LocalSourceOptions } from './local-source.js';
export { KubeRouteSource, type KubeRouteStatus, type KubeSourceOptions } from './kube-source.js';
export { KubeApi, KubeApiError, KubeWebhookRoute, defaultKubeConfig } from './kube-api.js';
export { LeaseLeaderElection, type LeaderElectionOptions } from './leader-election.js';
export { RouteWatch, type RouteWatchOptions } from './route-watch.js';
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
export { WebhookRouteStatus, Condition, routeStatusFor } from './route-status.js';
export { localSecretReader, secretEnvName, type SecretReader } from './secrets.js';
export { parseRouteFile, type RouteFileDocument } from './route-file.js';

export type OperatorRouteStatus = LocalRouteStatus | KubeRouteStatus;

export interface RunningOperator extends RunningService {
  mode: OperatorMode;
  /** The health and metrics port (OPERATOR_PORT; the bound one when it was 0). */
  port: number;
  /** The status of every route the operator has reconciled (in Kubernetes mode: while it leads). */
  statuses(): OperatorRouteStatus[];
  /** Always true in local mode; in Kubernetes mode, whether this replica holds the Lease. */
  isLeader(): boolean;
}

export interface OperatorOptions {
  /** Kubernetes mode: the API server to use; default: in-cluster, or KUBECONFIG. */
  kubeConfig?: KubeConfig;
  watch?: RouteWatchOptions;
  /** Local mode: how often the folder is rescanned. */
  scanIntervalMs?: number;
}

interface RouteSource {
  statuses(): OperatorRouteStatus[];
  isLeader(): boolean;
  ready(): boolean;
  stop(): Promise<void>;
}

/** Connects, provisions, reconciles every route from its source and keeps doing so; serves health and metrics. */
export async function startOperator(
  config: OperatorConfig,
  log: Logger = createLogger('operator'),
  options: OperatorOptions = {},
): Promise<RunningOperator> {
  const mode = operatorModeOf(config);
  const { nc, isConnected } = await connectNats(config.NATS_URL, 'operator', log);
  await provisionJetStream(nc, { replicas: config.STREAM_REPLICAS, historyRetentionMs: config.HISTORY_RETENTION });
  const store = new RouteStore(await new Kvm(nc).open(ROUTES_BUCKET), await jetstreamManager(nc), log);
  const registry = createMetricsRegistry('operator');
  // Read at scrape time only, after `source` exists.
  const metrics = operatorMetrics(registry, () => source.statuses());
  const source = mode === 'local' ? await startLocal(config, store, log, metrics, options) : await startKubernetes(config, store, log, metrics, options);
  const statusPublisher = new RouteStatusPublisher(
    await new Kvm(nc).open(ROUTE_STATUS_BUCKET),
    () => source.statuses(),
    () => source.isLeader(),
    (key) => (mode === 'local') === key.startsWith(LOCAL_SOURCE_PREFIX),
    log,
  );
  statusPublisher.start();
  let stopping: Promise<void> | undefined;
  const server: Server = await startOpsServer(config.OPERATOR_PORT, registry, { ready: () => source.ready() && isConnected() });
  return {
    mode,
    port: boundPort(server),
    statuses: () => source.statuses(),
    isLeader: () => source.isLeader(),
    stop() {
      // Once only: a second call waits for the first.
      stopping ??= (async () => {
        // Statuses stay in KV: they describe the routes, which outlive this process.
        await statusPublisher.stop();
        await source.stop();
        await closeServer(server);
        await nc.drain();
      })();
      return stopping;
    },
  };
}

async function startLocal(config: OperatorConfig, store: RouteStore, log: Logger, metrics: OperatorMetrics, options: OperatorOptions): Promise<RouteSource> {
  const local = new LocalRouteSource({
    dir: config.ROUTES_DIR,
    store,
    publicUrl: config.HOOKRELAY_PUBLIC_URL,
    log,
    metrics,
    ...(options.scanIntervalMs ? { scanIntervalMs: options.scanIntervalMs } : {}),
  });
  await local.start();
  log.info({ mode: 'local', dir: config.ROUTES_DIR, routes: local.statuses().length }, 'operator reconciled every route file');
  return { statuses: () => local.statuses(), isLeader: () => true, ready: () => true, stop: () => local.stop() };
}

async function startKubernetes(config: OperatorConfig, store: RouteStore, log: Logger, metrics: OperatorMetrics, options: OperatorOptions): Promise<RouteSource> {
  const api = new KubeApi(options.kubeConfig ?? defaultKubeConfig(), config.OPERATOR_WATCH_NAMESPACE);
  const kube = new KubeRouteSource({
    api,
    store,
    publicUrl: config.HOOKRELAY_PUBLIC_URL,
    log,
    metrics,
    ...(config.OPERATOR_WATCH_NAMESPACE ? { namespace: config.OPERATOR_WATCH_NAMESPACE } : {}),
    ...(options.watch ? { watch: options.watch } : {}),
  });
  let synced = false;
  const election = new LeaseLeaderElection(
    api,
    { namespace: config.POD_NAMESPACE, name: config.OPERATOR_LEASE_NAME, identity: config.POD_NAME, leaseDurationMs: config.OPERATOR_LEASE_DURATION },
    {
      // Not awaited: the election keeps renewing while the first list is read.
      started: async () => {
        void kube.start().then(() => (synced = election.isLeader()));
      },
      stopped: async () => {
        synced = false;
        await kube.stop();
      },
    },
    log,
  );
  election.start();
  log.info({ mode: 'kubernetes', namespace: config.OPERATOR_WATCH_NAMESPACE ?? '(all)', identity: config.POD_NAME }, 'operator waiting for the lease');
  return {
    statuses: () => (election.isLeader() ? kube.statuses() : []),
    isLeader: () => election.isLeader(),
    // A standby replica is ready: it has nothing to do until it leads.
    ready: () => !election.isLeader() || synced,
    async stop() {
      await election.stop();
      await kube.close();
    },
  };
}
