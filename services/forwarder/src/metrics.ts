import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function forwarderMetrics(registry: Registry) {
  return {
    dispatched: new Counter({
      name: 'hookrelay_forwarder_dispatched_total',
      help: 'Deliveries created from webhooks (one per target)',
      labelNames: ['project'] as const,
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'hookrelay_forwarder_attempts_total',
      help: 'Delivery attempts, by outcome (delivered, transient, permanent)',
      labelNames: ['project', 'target', 'outcome'] as const,
      registers: [registry],
    }),
    attemptSeconds: new Histogram({
      name: 'hookrelay_forwarder_attempt_seconds',
      help: 'Duration of one attempt, request to response end',
      labelNames: ['project'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'hookrelay_forwarder_dlq_total',
      help: 'Deliveries parked in the dead-letter queue, by reason',
      labelNames: ['project', 'target', 'reason'] as const,
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'hookrelay_forwarder_in_flight',
      help: 'Deliveries being attempted now',
      registers: [registry],
    }),
  };
}
export type ForwarderMetrics = ReturnType<typeof forwarderMetrics>;
