import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { Headers, ProjectId, Subjects } from '@hookrelay/schemas';
import type { Logger, RouteCache } from '@hookrelay/platform';
import { deliveryHeaders, firstDeliveryId } from './delivery-message.js';
import type { ForwarderMetrics } from './metrics.js';

/**
 * Turns one accepted webhook into one DELIVERIES message per target of its route, then acks it. The delivery
 * ids are deterministic and used as Nats-Msg-Id, so a webhook dispatched twice (redelivery) is not doubled.
 * Only the project (from the subject) and the id are read here: the captured request is passed on unparsed
 * and validated where it is used.
 */
export class Dispatcher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly routes: RouteCache,
    private readonly metrics: ForwarderMetrics,
    private readonly log: Logger,
  ) {}

  handle = async (msg: JsMsg): Promise<void> => {
    const projectId = msg.subject.slice('webhooks.'.length);
    const webhookId = msg.headers?.get(Headers.webhookId);
    const metaJson = msg.headers?.get(Headers.webhook);
    if (!webhookId || !metaJson || !ProjectId.safeParse(projectId).success) {
      this.log.error({ seq: msg.seq, subject: msg.subject }, 'dropping a malformed webhook message');
      msg.term();
      return;
    }
    const route = this.routes.get(projectId);
    if (!route) {
      // The route was removed between accept and dispatch: the webhook stays in history, with no delivery.
      this.log.warn({ webhookId, projectId }, 'no route for an accepted webhook; not delivered');
      msg.ack();
      return;
    }
    await Promise.all(
      route.targets.map((target) => {
        const deliveryId = firstDeliveryId(webhookId, target.name);
        return this.js.publish(Subjects.delivery(projectId, target.name), msg.data, {
          msgID: deliveryId,
          headers: deliveryHeaders(metaJson, target.name, deliveryId),
          retries: 3,
        });
      }),
    );
    msg.ack();
    this.metrics.dispatched.labels(projectId).inc(route.targets.length);
  };
}
