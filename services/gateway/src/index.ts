import type { Server } from 'node:http';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  RouteCache,
  RouteStatusCache,
  boundPort,
  connectNats,
  createLogger,
  createMetricsRegistry,
  listen,
  provisionJetStream,
  type Logger,
  type RunningService,
} from '@hookrelay/platform';
import { createApp } from './app.js';
import { TokenRegistry } from './auth.js';
import type { GatewayConfig } from './config.js';
import { LiveFeed } from './feed.js';
import { createGatewayServer } from './http-server.js';
import { gatewayMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { Redeliveries } from './replay.js';
import { StateClient } from './state-client.js';

export { GatewayConfig, MIN_TOKEN_LENGTH } from './config.js';
export { TokenRegistry, type Principal } from './auth.js';
export { openApiDocument } from './openapi.js';
export { retryDeliveryId } from './replay.js';

export interface RunningGateway extends RunningService {
  server: Server;
  port: number;
  /** Feed (SSE) connections open now. */
  feedClients(): number;
}

/** Connects, provisions, loads the routes, opens the feed tail and serves the API on GATEWAY_PORT. */
export async function startGateway(config: GatewayConfig, log: Logger = createLogger('gateway', config.LOG_LEVEL)): Promise<RunningGateway> {
  const { nc, isConnected } = await connectNats(config.NATS_URL, 'gateway', log);
  await provisionJetStream(nc, { replicas: config.STREAM_REPLICAS, historyRetentionMs: config.HISTORY_RETENTION });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const routes = new RouteCache(nc, log);
  const routeStatuses = new RouteStatusCache(nc, log);
  await Promise.all([routes.ready, routeStatuses.ready]);

  const tokens = new TokenRegistry(config.HOOKRELAY_API_TOKEN, config.GATEWAY_PROJECT_TOKENS ?? [], routes);
  if (!tokens.hasAdmin) log.warn('HOOKRELAY_API_TOKEN is not set: only project tokens are accepted, and nothing can be replayed');
  const registry = createMetricsRegistry('gateway');
  const metrics = gatewayMetrics(registry);
  const state = new StateClient(nc, config.GATEWAY_STATE_TIMEOUT, metrics);
  const feed = new LiveFeed(nc, js, jsm, metrics, log, {
    heartbeatMs: config.GATEWAY_SSE_HEARTBEAT,
    maxBufferBytes: config.GATEWAY_SSE_MAX_BUFFER_BYTES,
  });
  await feed.start();

  let stopping = false;
  const app = createApp({
    tokens,
    state,
    routes,
    routeStatuses,
    redeliveries: new Redeliveries(js, jsm, state, routes, metrics, log),
    feed,
    openApi: openApiDocument(),
    registry,
    metrics,
    probes: { ready: () => !stopping && isConnected() && feed.isLive },
    log,
    limits: {
      requestTimeoutMs: config.GATEWAY_REQUEST_TIMEOUT,
      maxBodyBytes: config.GATEWAY_MAX_BODY_BYTES,
      maxFeedClients: config.GATEWAY_SSE_MAX_CLIENTS,
      maxFeedBufferBytes: config.GATEWAY_SSE_MAX_BUFFER_BYTES,
    },
  });
  const http = createGatewayServer(app);
  const server = http.server;
  await listen(server, config.GATEWAY_PORT, config.GATEWAY_HOST);
  const port = boundPort(server);
  log.info({ port }, 'gateway listening');

  return {
    server,
    port,
    feedClients: () => feed.clientCount,
    async stop() {
      if (stopping) return;
      stopping = true;
      // Feeds end first (their clients reconnect elsewhere with Last-Event-ID), then requests in flight finish.
      await feed.stop();
      await http.close();
      routes.stop();
      routeStatuses.stop();
      await nc.drain();
    },
  };
}
