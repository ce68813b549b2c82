import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type StreamLabel = 'webhooks' | 'events' | 'dlq';

export interface MeasuredAtScrape {
  databaseBytes(): number;
  /** Messages not yet applied per stream; streams it cannot read are left out. */
  consumerLag(): Promise<Partial<Record<StreamLabel, number>>>;
}

/** Everything state reports under hookrelay_state_*. Lag and size are read when Prometheus scrapes. */
export function createStateMetrics(registry: Registry, measure: MeasuredAtScrape) {
  return {
    messagesApplied: new Counter({
      name: 'hookrelay_state_messages_applied_total',
      help: 'Stream messages applied to the database and acked (outcome=invalid: terminated as unreadable)',
      labelNames: ['stream', 'outcome'] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'hookrelay_state_batch_size',
      help: 'Messages applied per transaction',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'hookrelay_state_commit_seconds',
      help: 'Time to apply and commit one batch',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    batchFailures: new Counter({
      name: 'hookrelay_state_batch_failures_total',
      help: 'Batches whose transaction failed (their messages are applied one by one instead)',
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'hookrelay_state_consumer_lag',
      help: 'Messages of the stream not yet applied: pending delivery plus delivered but not acked',
      labelNames: ['stream'] as const,
      registers: [registry],
      async collect() {
        for (const [stream, lag] of Object.entries(await measure.consumerLag())) this.set({ stream }, lag);
      },
    }),
    feedPublished: new Counter({
      name: 'hookrelay_state_feed_published_total',
      help: 'FEED messages published (one per changed webhook per commit)',
      registers: [registry],
    }),
    queries: new Counter({
      name: 'hookrelay_state_queries_total',
      help: 'Queries answered, by query and outcome (ok or an error code)',
      labelNames: ['query', 'outcome'] as const,
      registers: [registry],
    }),
    querySeconds: new Histogram({
      name: 'hookrelay_state_query_seconds',
      help: 'Time to answer a query',
      labelNames: ['query'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    purgedWebhooks: new Counter({
      name: 'hookrelay_state_purged_webhooks_total',
      help: 'Webhooks (with their deliveries and attempts) purged after HISTORY_RETENTION',
      registers: [registry],
    }),
    databaseBytes: new Gauge({
      name: 'hookrelay_state_database_bytes',
      help: 'Size of the SQLite file plus its write-ahead log',
      registers: [registry],
      collect() {
        this.set(measure.databaseBytes());
      },
    }),
  };
}

export type StateMetrics = ReturnType<typeof createStateMetrics>;
