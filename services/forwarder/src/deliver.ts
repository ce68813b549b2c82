import type { JsMsg } from '@nats-io/jetstream';
import type { Logger, RouteCache } from '@hookrelay/platform';
import { readDeliveryMessage, MalformedMessageError } from './delivery-message.js';
import type { DeadLetters } from './dead-letter.js';
import type { DeliveryEvents } from './events.js';
import type { HttpTarget } from './http-target.js';
import type { ForwarderMetrics } from './metrics.js';
import { classify, retryDelayMs } from './retry-policy.js';

/**
 * One attempt of one delivery: call the target, record the attempt, then ack (delivered), nak with the
 * policy's delay (retry), nak at once on the last attempt (the server's MAX_DELIVERIES advisory parks it), or
 * park it and term (a permanent 4xx).
 */
export class Deliverer {
  constructor(
    private readonly routes: RouteCache,
    private readonly http: HttpTarget,
    private readonly events: DeliveryEvents,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: ForwarderMetrics,
    private readonly log: Logger,
  ) {}

  handle = async (msg: JsMsg): Promise<void> => {
    let delivery;
    try {
      delivery = readDeliveryMessage(msg.headers);
    } catch (err) {
      if (!(err instanceof MalformedMessageError)) throw err;
      this.log.error({ err, seq: msg.seq, subject: msg.subject }, 'dropping a malformed delivery message');
      msg.term();
      return;
    }
    const { meta, target: targetName, deliveryId } = delivery;
    const attempt = msg.info.deliveryCount;
    const context = { webhookId: meta.id, projectId: meta.projectId, target: targetName, deliveryId, attempt };
    const route = this.routes.get(meta.projectId);
    const target = route?.targets.find((t) => t.name === targetName);
    if (!route || !target) {
      await this.events.publish({ ...context, kind: 'failed', attempt: attempt - 1, error: 'the route no longer has this target', at: Date.now() });
      this.log.warn(context, 'delivery dropped: the route no longer has this target');
      msg.ack();
      return;
    }

    const at = Date.now();
    this.metrics.inFlight.inc();
    const result = await this.http
      .send({ meta, body: msg.data, target, deliveryId, attempt, timeoutMs: route.delivery.timeoutMs })
      .finally(() => this.metrics.inFlight.dec());
    const outcome = classify(result.statusCode);
    this.metrics.attempts.labels(meta.projectId, targetName, outcome).inc();
    this.metrics.attemptSeconds.labels(meta.projectId).observe(result.durationMs / 1000);
    const record = {
      ...context,
      url: target.url,
      statusCode: result.statusCode,
      error: result.error ?? (outcome === 'delivered' ? undefined : `HTTP ${result.statusCode}`),
      durationMs: Math.round(result.durationMs * 10) / 10,
      responseSnippet: outcome === 'delivered' ? undefined : result.responseSnippet,
      at,
    };

    if (outcome === 'delivered') {
      msg.ack();
      await this.events.publish({ ...record, kind: 'forwarded' });
      this.log.debug(context, 'delivered');
    } else if (outcome === 'transient' && attempt < route.delivery.attempts) {
      const delay = retryDelayMs(route.delivery, attempt, result.retryAfterMs);
      await this.events.publish({ ...record, kind: 'retrying', nextAttemptAt: Date.now() + delay });
      msg.nak(delay);
      this.log.info({ ...context, statusCode: result.statusCode, error: record.error, delayMs: delay }, 'attempt failed; retrying');
    } else if (outcome === 'transient') {
      await this.events.publish({ ...record, kind: 'attempt' });
      this.log.info({ ...context, statusCode: result.statusCode, error: record.error }, 'last attempt failed');
      // No delay: the server sees max_deliver reached and emits MAX_DELIVERIES, which parks it in DLQ.
      msg.nak();
    } else {
      await this.events.publish({ ...record, kind: 'attempt' });
      this.log.info({ ...context, statusCode: result.statusCode }, 'target refused the webhook (permanent)');
      await this.deadLetters.park(msg.seq, msg.headers, msg.data, 'terminated', attempt);
      msg.term();
    }
  };
}
