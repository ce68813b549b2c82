import { JetStreamApiError, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { ConsumerAdvisory, Headers, Streams, Subjects } from '@hookrelay/schemas';
import type { Logger } from '@hookrelay/platform';
import { readDeliveryMessage } from './delivery-message.js';
import type { DeliveryEvents } from './events.js';
import type { ForwarderMetrics } from './metrics.js';

const WRONG_LAST_SEQUENCE = 10071;
export type DeadLetterReason = 'max_deliveries' | 'terminated';

export interface ParkRequest {
  /** Headers of the delivery: Hookrelay-Webhook, -Target, -Delivery-Id. */
  headers: MsgHdrs | undefined;
  body: Uint8Array;
  reason: DeadLetterReason;
  /** Attempts made. */
  deliveries: number;
  /** The delivery's DELIVERIES sequence, when it has one: the message is removed from there once parked. */
  deliverySeq?: number;
}

/**
 * Parks deliveries in DLQ exactly once. Each delivery has its own DLQ subject and the copy is published only
 * while that subject is empty, so a repeated advisory (nats-server can repeat one after a restart) or a crash
 * between copy and delete never makes a second entry.
 */
export class DeadLetters {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly events: DeliveryEvents,
    private readonly metrics: ForwarderMetrics,
    private readonly log: Logger,
  ) {}

  /** Copies a delivery into DLQ, records the `dlq` event and removes it from DELIVERIES. */
  async park({ headers, body, reason, deliveries, deliverySeq }: ParkRequest): Promise<void> {
    const { meta, target, deliveryId } = readDeliveryMessage(headers);
    const h = natsHeaders();
    for (const key of [Headers.webhook, Headers.webhookId, Headers.target, Headers.deliveryId]) {
      const value = headers?.get(key);
      if (value) h.set(key, value);
    }
    h.set(Headers.dlqReason, reason);
    h.set(Headers.dlqDeliveries, String(deliveries));
    if (deliverySeq !== undefined) h.set(Headers.dlqDeliverySeq, String(deliverySeq));
    let created = true;
    try {
      await this.js.publish(Subjects.dlq(meta.projectId, target, deliveryId), body, {
        headers: h,
        expect: { lastSubjectSequence: 0 },
        retries: 3,
      });
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE)) throw err;
      created = false; // parked before: only finish what that attempt may not have
    }
    await this.events.publish({
      kind: 'dlq',
      webhookId: meta.id,
      deliveryId,
      projectId: meta.projectId,
      target,
      attempt: deliveries,
      error: reason === 'max_deliveries' ? `gave up after ${deliveries} attempts` : 'refused by the target (permanent failure)',
      at: Date.now(),
    });
    if (deliverySeq !== undefined) await this.jsm.streams.deleteMessage(Streams.deliveries, deliverySeq, false).catch(() => false);
    if (created) {
      this.metrics.deadLettered.labels(meta.projectId, target, reason).inc();
      this.log.warn({ webhookId: meta.id, projectId: meta.projectId, target, deliveryId, reason, deliveries }, 'delivery dead-lettered');
    }
  }

  /** Handles one captured MAX_DELIVERIES or MSG_TERMINATED advisory for DELIVERIES. */
  async handleAdvisory(msg: JsMsg): Promise<void> {
    let advisory: ConsumerAdvisory;
    try {
      advisory = ConsumerAdvisory.parse(msg.json());
    } catch (err) {
      this.log.error({ err, subject: msg.subject }, 'ignoring an unreadable advisory');
      return;
    }
    if (advisory.stream !== Streams.deliveries) return;
    const stored = await this.jsm.streams.getMessage(Streams.deliveries, { seq: advisory.stream_seq });
    if (!stored) return; // already parked and removed, or acked after all
    await this.park({
      headers: stored.header,
      body: stored.data,
      reason: msg.subject.includes('.MSG_TERMINATED.') ? 'terminated' : 'max_deliveries',
      deliveries: advisory.deliveries,
      deliverySeq: advisory.stream_seq,
    });
  }
}
