import { Counter, Histogram, type Registry } from 'prom-client';

export function ingestMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'hookrelay_ingest_requests_total',
      help: 'Webhook requests answered, by project and HTTP status',
      labelNames: ['project', 'code'] as const,
      registers: [registry],
    }),
    acceptSeconds: new Histogram({
      name: 'hookrelay_ingest_accept_seconds',
      help: 'Time from request start to the answer, for accepted webhooks (includes the JetStream ack)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
    signatureRejected: new Counter({
      name: 'hookrelay_ingest_signature_rejected_total',
      help: 'Webhooks refused because their signature did not verify, by project and reason',
      labelNames: ['project', 'reason'] as const,
      registers: [registry],
    }),
    bodyBytes: new Histogram({
      name: 'hookrelay_ingest_body_bytes',
      help: 'Size of accepted webhook bodies',
      buckets: [256, 1024, 4096, 16384, 65536, 262144, 1048576, 8388608],
      registers: [registry],
    }),
  };
}
export type IngestMetrics = ReturnType<typeof ingestMetrics>;
