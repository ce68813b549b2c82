import { z } from 'zod';
import { ProjectId, TargetName } from './names.js';

/**
 * NATS headers that carry a webhook through the streams. The payload of WEBHOOKS, DELIVERIES and DLQ messages
 * is the raw request body, byte for byte; everything else about the request rides in `Hookrelay-Webhook`.
 */
export const Headers = {
  webhook: 'Hookrelay-Webhook',
  /** The webhook id alone, so a hop that needs only the id does not parse the whole request. */
  webhookId: 'Hookrelay-Webhook-Id',
  target: 'Hookrelay-Target',
  deliveryId: 'Hookrelay-Delivery-Id',
  /**
   * On a DELIVERIES message whose first attempt the dispatcher already made: epoch ms of the next attempt.
   * The message's first delivery only waits until then, so the consumer's max_deliver still equals attempts.
   */
  retryAt: 'Hookrelay-Retry-At',
  dlqReason: 'Hookrelay-Dlq-Reason',
  rejectedReason: 'Hookrelay-Rejected-Reason',
  dlqDeliveries: 'Hookrelay-Dlq-Deliveries',
  dlqDeliverySeq: 'Hookrelay-Dlq-Delivery-Seq',
} as const;

/** The captured request, minus its body. */
export const WebhookMeta = z.object({
  id: z.string().min(1).max(64),
  projectId: ProjectId,
  method: z.string().min(1).max(32),
  /** The sub-path after /hooks/<projectId>, '' or starting with '/'. */
  path: z.string().max(8192),
  /** The raw query string without '?', '' when none. */
  query: z.string().max(16384),
  /** Request headers in arrival order, duplicates kept. */
  headers: z.array(z.tuple([z.string(), z.string()])),
  contentType: z.string().optional(),
  bodySize: z.int().min(0),
  sourceIp: z.string(),
  /** Epoch milliseconds. */
  receivedAt: z.int(),
  dedupeKey: z.string().optional(),
});
export type WebhookMeta = z.infer<typeof WebhookMeta>;

export const EventKind = z.enum(['attempt', 'forwarded', 'retrying', 'dlq', 'failed']);
export type EventKind = z.infer<typeof EventKind>;

/** What happened to one delivery: published by the forwarder on `events.<project>.<kind>`. */
export const DeliveryEvent = z.object({
  kind: EventKind,
  webhookId: z.string(),
  deliveryId: z.string(),
  projectId: ProjectId,
  target: TargetName,
  url: z.string().optional(),
  /** Attempt number, 1-based; 0 when no attempt was made (for example the route was removed). */
  attempt: z.int().min(0),
  statusCode: z.int().optional(),
  error: z.string().optional(),
  durationMs: z.number().optional(),
  responseSnippet: z.string().optional(),
  /** Epoch milliseconds at which the attempt started, or the event happened. */
  at: z.int(),
  nextAttemptAt: z.int().optional(),
});
export type DeliveryEvent = z.infer<typeof DeliveryEvent>;

/**
 * The payload of an EVENTS message: the events of one project and kind that happened within a few ms, in
 * order. One message per event cost the forwarder a JetStream publish (and state a message) per attempt.
 */
export const MAX_EVENTS_PER_MESSAGE = 256;
export const DeliveryEventBatch = z.array(DeliveryEvent).min(1).max(MAX_EVENTS_PER_MESSAGE);
export type DeliveryEventBatch = z.infer<typeof DeliveryEventBatch>;

/** A consumer advisory from nats-server, as captured in ADVISORIES. */
export const ConsumerAdvisory = z.looseObject({
  type: z.string(),
  stream: z.string(),
  consumer: z.string(),
  stream_seq: z.int(),
  deliveries: z.int(),
});
export type ConsumerAdvisory = z.infer<typeof ConsumerAdvisory>;
