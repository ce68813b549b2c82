import type { Server } from 'node:http';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Consumers, Streams } from '@hookrelay/schemas';
import {
  RouteCache,
  Semaphore,
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
import type { ForwarderConfig } from './config.js';
import { DeliveryAttempts } from './attempt.js';
import { ConsumeLoop } from './consume-loop.js';
import { DeadLetters } from './dead-letter.js';
import { Deliverer } from './deliver.js';
import { Dispatcher } from './dispatch.js';
import { DeliveryEvents } from './events.js';
import { HttpTarget } from './http-target.js';
import { forwarderMetrics } from './metrics.js';
import { RouteConsumers } from './route-consumers.js';

export { ForwarderConfig } from './config.js';
export { classify, retryDelayMs, parseRetryAfter } from './retry-policy.js';

export interface RunningForwarder extends RunningService {
  opsServer: Server;
  port: number;
}

/** Dispatches accepted webhooks into deliveries, delivers them, and parks what cannot be delivered. */
export async function startForwarder(config: ForwarderConfig, log: Logger = createLogger('forwarder')): Promise<RunningForwarder> {
  const { nc, isConnected } = await connectNats(config.NATS_URL, 'forwarder', log);
  await provisionJetStream(nc, { replicas: config.STREAM_REPLICAS, historyRetentionMs: config.HISTORY_RETENTION });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const registry = createMetricsRegistry('forwarder');
  const metrics = forwarderMetrics(registry);
  const routes = new RouteCache(nc, log);
  await routes.ready;

  const http = new HttpTarget(config.FORWARDER_CONNECTIONS_PER_ORIGIN);
  const events = new DeliveryEvents(js, log);
  const deadLetters = new DeadLetters(js, jsm, events, metrics, log);
  const deliverySlots = new Semaphore(config.FORWARDER_MAX_IN_FLIGHT);
  const dispatchSlots = new Semaphore(config.FORWARDER_MAX_IN_FLIGHT);
  const attempts = new DeliveryAttempts(http, events, metrics, log);
  const deliveries = new RouteConsumers(js, routes, new Deliverer(routes, attempts, events, deadLetters, log), deliverySlots, log);
  const dispatch = new ConsumeLoop(js, {
    stream: Streams.webhooks,
    consumer: Consumers.dispatch,
    maxMessages: 64,
    slots: dispatchSlots,
    handle: new Dispatcher(js, routes, attempts, deadLetters, metrics, log, { inlinePerProject: config.FORWARDER_INLINE_PER_PROJECT }).handle,
    log,
  });
  const advisories = new ConsumeLoop(js, {
    stream: Streams.advisories,
    consumer: Consumers.advisories,
    maxMessages: 64,
    slots: new Semaphore(8),
    handle: async (msg) => {
      await deadLetters.handleAdvisory(msg);
      msg.ack();
    },
    log,
  });

  const opsServer = await startOpsServer(config.FORWARDER_PORT, registry, { ready: isConnected });
  return {
    opsServer,
    port: boundPort(opsServer),
    async stop() {
      // Stop pulling, let attempts in flight finish (their outcome is recorded), then drain.
      await Promise.all([dispatch.stop(), advisories.stop(), deliveries.stop()]);
      await Promise.all([deliverySlots.idle(), dispatchSlots.idle()]);
      routes.stop();
      await nc.drain();
      await http.close();
      await closeServer(opsServer);
    },
  };
}
