import type { Server } from 'node:http';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { DEDUPE_BUCKET } from '@hookrelay/schemas';
import {
  RouteCache,
  boundPort,
  closeServer,
  connectNats,
  createLogger,
  createMetricsRegistry,
  listen,
  provisionJetStream,
  type Logger,
  type RunningService,
} from '@hookrelay/platform';
import type { IngestConfig } from './config.js';
import { createIngestServer } from './http-server.js';
import { ingestMetrics } from './metrics.js';
import { WebhookPublisher } from './publish-webhook.js';

export { IngestConfig } from './config.js';

export interface RunningIngest extends RunningService {
  server: Server;
  port: number;
  /** True once this instance accepts webhooks for the project (its route has reached the cache). */
  hasRoute(projectId: string): boolean;
}

/** Connects, provisions, loads the routes and serves `/hooks/:projectId[/*]`. */
export async function startIngest(config: IngestConfig, log: Logger = createLogger('ingest')): Promise<RunningIngest> {
  const { nc, isConnected } = await connectNats(config.NATS_URL, 'ingest', log);
  await provisionJetStream(nc, { replicas: config.STREAM_REPLICAS, historyRetentionMs: config.HISTORY_RETENTION });
  const routes = new RouteCache(nc, log);
  await routes.ready;
  const publisher = new WebhookPublisher(
    nc,
    jetstream(nc),
    await jetstreamManager(nc),
    await new Kvm(nc).open(DEDUPE_BUCKET),
    config.INGEST_PUBLISH_TIMEOUT_MS,
    log,
  );
  const registry = createMetricsRegistry('ingest');
  let accepting = true;
  const server = createIngestServer({
    routes,
    publisher,
    isConnected,
    registry,
    metrics: ingestMetrics(registry),
    probes: { ready: () => accepting && isConnected() },
    log,
  });
  await listen(server, config.INGEST_PORT, config.INGEST_HOST);
  const port = boundPort(server);
  log.info({ port }, 'ingest listening');
  return {
    server,
    port,
    hasRoute: (projectId) => routes.get(projectId) !== undefined,
    async stop() {
      accepting = false;
      // Requests in flight finish (their publishes are acked or refused) before the connection drains.
      await closeServer(server);
      routes.stop();
      await nc.drain();
    },
  };
}
