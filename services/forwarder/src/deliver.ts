import type { JsMsg } from '@nats-io/jetstream';
import { Headers } from '@hookrelay/schemas';
import type { Logger, RouteCache } from '@hookrelay/platform';
import { readDeliveryMessage, MalformedMessageError } from './delivery-message.js';
import type { DeliveryAttempts } from './attempt.js';
import type { DeadLetters } from './dead-letter.js';
import type { DeliveryEvents } from './events.js';

/**
 * A delivery from its route's consumer: a retry (the dispatcher made the first attempt), or a replay. After
 * the attempt: ack (done), nak with the policy's delay (retry), nak at once on the last attempt (the server's
 * MAX_DELIVERIES advisory parks it), or park it and term (refused).
 */
export class Deliverer {
  constructor(
    private readonly routes: RouteCache,
    private readonly attempts: DeliveryAttempts,
    private readonly events: DeliveryEvents,
    private readonly deadLetters: DeadLetters,
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
    // A retry's first delivery stands for the attempt the dispatcher made: it only waits for the retry time.
    const retryAt = Number(msg.headers?.get(Headers.retryAt) || NaN);
    const attempt = msg.info.deliveryCount;
    if (!Number.isNaN(retryAt) && attempt === 1) {
      msg.nak(Math.max(0, retryAt - Date.now()));
      return;
    }
    const route = this.routes.get(meta.projectId);
    const target = route?.targets.find((t) => t.name === targetName);
    if (!route || !target) {
      const context = { webhookId: meta.id, projectId: meta.projectId, target: targetName, deliveryId };
      await this.events.publish({ ...context, kind: 'failed', attempt: attempt - 1, error: 'the route no longer has this target', at: Date.now() });
      this.log.warn(context, 'delivery dropped: the route no longer has this target');
      msg.ack();
      return;
    }
    const decision = await this.attempts.run({ meta, body: msg.data, route, target, deliveryId, attempt });
    if (decision.next === 'done') msg.ack();
    else if (decision.next === 'retry') msg.nak(decision.delayMs);
    // No delay: the server sees max_deliver reached and emits MAX_DELIVERIES, which parks it in DLQ.
    else if (decision.next === 'exhausted') msg.nak();
    else {
      await this.deadLetters.park({ headers: msg.headers, body: msg.data, reason: 'terminated', deliveries: attempt, deliverySeq: msg.seq });
      msg.term();
    }
  };
}
