import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { Subjects } from '@hookrelay/schemas';
import type { Logger, RouteCache } from '@hookrelay/platform';
import { deliveryHeaders, firstDeliveryId, readWebhookMeta, MalformedMessageError } from './delivery-message.js';
import type { ForwarderMetrics } from './metrics.js';

/**
 * Turns one accepted webhook into one DELIVERIES message per target of its route, then acks it. The delivery
 * ids are deterministic and used as Nats-Msg-Id, so a webhook dispatched twice (redelivery) is not doubled.
 */
export class Dispatcher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly routes: RouteCache,
    private readonly metrics: ForwarderMetrics,
    private readonly log: Logger,
  ) {}

  handle = async (msg: JsMsg): Promise<void> => {
    let parsed;
    try {
      parsed = readWebhookMeta(msg.headers);
    } catch (err) {
      if (!(err instanceof MalformedMessageError)) throw err;
      this.log.error({ err, seq: msg.seq, subject: msg.subject }, 'dropping a malformed webhook message');
      msg.term();
      return;
    }
    const { meta, metaJson } = parsed;
    const route = this.routes.get(meta.projectId);
    if (!route) {
      // The route was removed between accept and dispatch: the webhook stays in history, with no delivery.
      this.log.warn({ webhookId: meta.id, projectId: meta.projectId }, 'no route for an accepted webhook; not delivered');
      msg.ack();
      return;
    }
    await Promise.all(
      route.targets.map((target) => {
        const deliveryId = firstDeliveryId(meta.id, target.name);
        return this.js.publish(Subjects.delivery(meta.projectId, target.name), msg.data, {
          msgID: deliveryId,
          headers: deliveryHeaders(metaJson, target.name, deliveryId),
          retries: 3,
        });
      }),
    );
    msg.ack();
    this.metrics.dispatched.labels(meta.projectId).inc(route.targets.length);
  };
}
