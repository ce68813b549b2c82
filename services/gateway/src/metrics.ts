import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function gatewayMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'hookrelay_gateway_requests_total',
      help: 'API requests answered, by route pattern, method and HTTP status',
      labelNames: ['route', 'method', 'code'] as const,
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'hookrelay_gateway_request_seconds',
      help: 'Time to answer an API request (feeds: time to the first byte), by route pattern',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    feedClients: new Gauge({
      name: 'hookrelay_gateway_sse_clients',
      help: 'Feed (SSE) connections open, by feed (all or project)',
      labelNames: ['feed'] as const,
      registers: [registry],
    }),
    feedEventsSent: new Counter({
      name: 'hookrelay_gateway_sse_events_sent_total',
      help: 'Feed events written to SSE clients (one per client per event)',
      registers: [registry],
    }),
    feedClientsDropped: new Counter({
      name: 'hookrelay_gateway_sse_clients_dropped_total',
      help: 'Feed clients disconnected by the gateway, by reason (slow: too much unsent data)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    feedEntriesReceived: new Counter({
      name: 'hookrelay_gateway_feed_entries_total',
      help: 'Entries read from the FEED stream by the live tail',
      registers: [registry],
    }),
    deliveriesPublished: new Counter({
      name: 'hookrelay_gateway_deliveries_published_total',
      help: 'Deliveries published to DELIVERIES by replay or retry',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    stateQueries: new Counter({
      name: 'hookrelay_gateway_state_queries_total',
      help: 'Queries sent to the state service, by query and outcome',
      labelNames: ['query', 'outcome'] as const,
      registers: [registry],
    }),
  };
}
export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;
