import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { Headers, WebhookMeta, TargetName } from '@hookrelay/schemas';

/** A DELIVERIES message read back: the webhook it carries, which target, and which delivery. */
export interface DeliveryMessage {
  meta: WebhookMeta;
  metaJson: string;
  target: string;
  deliveryId: string;
}

export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
}

export function readWebhookMeta(h: MsgHdrs | undefined): { meta: WebhookMeta; metaJson: string } {
  const metaJson = h?.get(Headers.webhook);
  if (!metaJson) throw new MalformedMessageError(`missing ${Headers.webhook} header`);
  let raw: unknown;
  try {
    raw = JSON.parse(metaJson);
  } catch {
    throw new MalformedMessageError(`${Headers.webhook} is not JSON`);
  }
  const parsed = WebhookMeta.safeParse(raw);
  if (!parsed.success) throw new MalformedMessageError(`${Headers.webhook}: ${parsed.error.message}`);
  return { meta: parsed.data, metaJson };
}

export function readDeliveryMessage(h: MsgHdrs | undefined): DeliveryMessage {
  const { meta, metaJson } = readWebhookMeta(h);
  const target = TargetName.safeParse(h?.get(Headers.target));
  const deliveryId = h?.get(Headers.deliveryId);
  if (!target.success || !deliveryId) throw new MalformedMessageError(`missing ${Headers.target} or ${Headers.deliveryId}`);
  return { meta, metaJson, target: target.data, deliveryId };
}

/** Headers of a DELIVERIES message: the webhook as captured, the target and the delivery id. */
export function deliveryHeaders(metaJson: string, webhookId: string, target: string, deliveryId: string): MsgHdrs {
  const h = natsHeaders();
  h.set(Headers.webhook, metaJson);
  h.set(Headers.webhookId, webhookId);
  h.set(Headers.target, target);
  h.set(Headers.deliveryId, deliveryId);
  return h;
}

/** The first dispatch of a webhook to a target has a deterministic id, so a redelivered dispatch cannot double. */
export const firstDeliveryId = (webhookId: string, target: string) => `${webhookId}:${target}`;
