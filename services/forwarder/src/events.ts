import type { JetStreamClient } from '@nats-io/jetstream';
import { Subjects, type DeliveryEvent } from '@hookrelay/schemas';
import type { Logger } from '@hookrelay/platform';

/**
 * Publishes what happened to a delivery on EVENTS for the state service. A publish that fails is logged and
 * not retried forever: the delivery itself goes on (it is in DELIVERIES), only its history would lag.
 */
export class DeliveryEvents {
  constructor(
    private readonly js: JetStreamClient,
    private readonly log: Logger,
  ) {}

  async publish(event: DeliveryEvent): Promise<void> {
    try {
      await this.js.publish(Subjects.event(event.projectId, event.kind), JSON.stringify(event), { retries: 3, timeout: 5000 });
    } catch (err) {
      this.log.error(
        { err, webhookId: event.webhookId, projectId: event.projectId, target: event.target, kind: event.kind },
        'could not publish a delivery event; the history will miss it',
      );
    }
  }
}
