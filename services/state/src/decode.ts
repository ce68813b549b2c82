import { z } from 'zod';
import type { JsMsg } from '@nats-io/jetstream';
import { DeliveryEventBatch, Headers, TargetName, WebhookMeta } from '@hookrelay/schemas';
import type { HistoryMessage } from './apply.js';

/** A message that cannot be applied: it is terminated (never redelivered) and logged with what is known. */
export interface Undecodable {
  reason: string;
  issues?: z.core.$ZodIssue[];
  webhookId?: string;
  projectId?: string;
}

/** A NATS message's history messages: one, or several for a batch of events. */
export type Decoded = { ok: true; messages: HistoryMessage[] } | ({ ok: false } & Undecodable);

const utf8 = new TextDecoder();

const DlqHeaders = z.object({
  target: TargetName,
  deliveryId: z.string().min(1).max(256),
  reason: z.string().max(64).optional(),
  deliveries: z.coerce.number().int().min(0).optional(),
});

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function decodeMeta(msg: Pick<JsMsg, 'headers'>): { ok: true; meta: WebhookMeta; metaJson: string } | ({ ok: false } & Undecodable) {
  const header = msg.headers?.get(Headers.webhook);
  if (!header) return { ok: false, reason: `no ${Headers.webhook} header` };
  const json = parseJson(header);
  if (!json.ok) return { ok: false, reason: `${Headers.webhook} is not JSON` };
  const parsed = WebhookMeta.safeParse(json.value);
  if (!parsed.success) {
    const raw = json.value as { id?: unknown; projectId?: unknown } | null;
    return {
      ok: false,
      reason: `${Headers.webhook} does not match WebhookMeta`,
      issues: parsed.error.issues,
      ...(typeof raw?.id === 'string' ? { webhookId: raw.id } : {}),
      ...(typeof raw?.projectId === 'string' ? { projectId: raw.projectId } : {}),
    };
  }
  return { ok: true, meta: parsed.data, metaJson: header };
}

/** WEBHOOKS: the captured request in `Hookrelay-Webhook`, the raw body as payload. */
export function decodeWebhookMessage(msg: Pick<JsMsg, 'headers' | 'data'>): Decoded {
  const meta = decodeMeta(msg);
  if (!meta.ok) return meta;
  return { ok: true, messages: [{ kind: 'webhook', webhook: { meta: meta.meta, metaJson: meta.metaJson, body: msg.data } }] };
}

/** EVENTS: a JSON array of DeliveryEvents (the forwarder batches those of a project and kind). */
export function decodeEventMessage(msg: Pick<JsMsg, 'data'>): Decoded {
  const json = parseJson(utf8.decode(msg.data));
  if (!json.ok) return { ok: false, reason: 'event payload is not JSON' };
  const parsed = DeliveryEventBatch.safeParse(json.value);
  if (!parsed.success) {
    const first: unknown = Array.isArray(json.value) ? json.value[0] : json.value;
    const raw = first as { webhookId?: unknown; projectId?: unknown } | null;
    return {
      ok: false,
      reason: 'event payload is not an array of DeliveryEvents',
      issues: parsed.error.issues,
      ...(typeof raw?.webhookId === 'string' ? { webhookId: raw.webhookId } : {}),
      ...(typeof raw?.projectId === 'string' ? { projectId: raw.projectId } : {}),
    };
  }
  return { ok: true, messages: parsed.data.map((event) => ({ kind: 'event' as const, event })) };
}

/**
 * DLQ: a copy of the delivery (body and the original headers) plus why it was parked. It carries the
 * whole webhook, so it also captures the webhook when WEBHOOKS has not (yet) delivered it.
 */
export function decodeDlqMessage(msg: Pick<JsMsg, 'headers' | 'data' | 'seq' | 'info'>): Decoded {
  const meta = decodeMeta(msg);
  if (!meta.ok) return meta;
  const parsed = DlqHeaders.safeParse({
    target: msg.headers?.get(Headers.target) || undefined,
    deliveryId: msg.headers?.get(Headers.deliveryId) || undefined,
    reason: msg.headers?.get(Headers.dlqReason) || undefined,
    deliveries: msg.headers?.get(Headers.dlqDeliveries) || undefined,
  });
  if (!parsed.success) {
    return {
      ok: false,
      reason: 'DLQ message headers are incomplete',
      issues: parsed.error.issues,
      webhookId: meta.meta.id,
      projectId: meta.meta.projectId,
    };
  }
  return {
    ok: true,
    messages: [
      {
        kind: 'dlq',
        webhook: { meta: meta.meta, metaJson: meta.metaJson, body: msg.data },
        deliveryId: parsed.data.deliveryId,
        target: parsed.data.target,
        reason: parsed.data.reason,
        deliveries: parsed.data.deliveries,
        streamSeq: msg.seq,
        // The stream's own timestamp: the same on every redelivery and on a replay.
        parkedAt: Math.floor(msg.info.timestampNanos / 1e6),
      },
    ],
  };
}
