import type { DeliveryEvent, RouteConfig, TargetSpec, WebhookMeta } from '@hookrelay/schemas';
import type { Logger } from '@hookrelay/platform';
import type { DeliveryEvents } from './events.js';
import type { HttpTarget } from './http-target.js';
import type { ForwarderMetrics } from './metrics.js';
import { classify, retryDelayMs } from './retry-policy.js';

export interface AttemptInput {
  meta: WebhookMeta;
  body: Uint8Array;
  route: RouteConfig;
  target: TargetSpec;
  deliveryId: string;
  /** 1-based. */
  attempt: number;
}

/** What to do with the delivery after an attempt. */
export type AttemptDecision =
  | { next: 'done' }
  | { next: 'retry'; delayMs: number }
  /** The last attempt failed: the delivery goes to DLQ (reason max_deliveries). */
  | { next: 'exhausted' }
  /** The target refused it for good (a 4xx other than 408/425/429): DLQ at once. */
  | { next: 'refused' };

/**
 * Makes one attempt and records it (metrics, the EVENTS entry, a log line on failure). The caller turns the
 * decision into NATS actions, which differ between a first attempt made by the dispatcher and a redelivery.
 */
export class DeliveryAttempts {
  constructor(
    private readonly http: HttpTarget,
    private readonly events: DeliveryEvents,
    private readonly metrics: ForwarderMetrics,
    private readonly log: Logger,
  ) {}

  async run({ meta, body, route, target, deliveryId, attempt }: AttemptInput): Promise<AttemptDecision> {
    const at = Date.now();
    this.metrics.inFlight.inc();
    const result = await this.http
      .send({ meta, body, target, deliveryId, attempt, timeoutMs: route.delivery.timeoutMs, signingSecrets: route.signing?.secrets })
      .finally(() => this.metrics.inFlight.dec());
    const outcome = classify(result.statusCode);
    this.metrics.attempts.labels(meta.projectId, target.name, outcome).inc();
    this.metrics.attemptSeconds.labels(meta.projectId).observe(result.durationMs / 1000);
    const context = { webhookId: meta.id, projectId: meta.projectId, target: target.name, deliveryId, attempt };
    const record: Omit<DeliveryEvent, 'kind'> = {
      ...context,
      url: target.url,
      statusCode: result.statusCode,
      error: result.error ?? (outcome === 'delivered' ? undefined : `HTTP ${result.statusCode}`),
      durationMs: Math.round(result.durationMs * 10) / 10,
      responseSnippet: outcome === 'delivered' ? undefined : result.responseSnippet,
      at,
    };
    if (outcome === 'delivered') {
      await this.events.publish({ ...record, kind: 'forwarded' });
      return { next: 'done' };
    }
    const failure = { ...context, statusCode: result.statusCode, error: record.error };
    if (outcome === 'transient' && attempt < route.delivery.attempts) {
      const delayMs = retryDelayMs(route.delivery, attempt, result.retryAfterMs);
      await this.events.publish({ ...record, kind: 'retrying', nextAttemptAt: Date.now() + delayMs });
      this.log.info({ ...failure, delayMs }, 'attempt failed; retrying');
      return { next: 'retry', delayMs };
    }
    await this.events.publish({ ...record, kind: 'attempt' });
    this.log.info(failure, outcome === 'transient' ? 'last attempt failed' : 'target refused the webhook (permanent)');
    return { next: outcome === 'transient' ? 'exhausted' : 'refused' };
  }
}
