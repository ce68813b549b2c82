import { createHash } from 'node:crypto';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { Headers, Streams, Subjects, WebhookMeta } from '@hookrelay/schemas';
import type { Logger } from '@hookrelay/platform';
import { PayloadTooLargeError, PublishNotAckedError } from './errors.js';

export interface Accepted {
  id: string;
  /** True when this was a provider's redelivery of a webhook already accepted: `id` is the original's. */
  duplicate: boolean;
}

// Room for the NATS header block around the captured request's own headers.
const HEADER_OVERHEAD = 512;

/**
 * Stores a captured webhook in WEBHOOKS and returns only once JetStream has acked it. With a provider
 * delivery id (the route's dedupeHeader), a redelivery answers with the original id and is not stored again:
 * JetStream's duplicate window catches concurrent copies, the `dedupe` KV bucket catches later ones (a day).
 */
export class WebhookPublisher {
  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly dedupe: KV,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  async publish(meta: WebhookMeta, body: Uint8Array): Promise<Accepted> {
    const metaJson = JSON.stringify(meta);
    const maxPayload = this.nc.info?.max_payload ?? 1_048_576;
    if (body.length + metaJson.length + HEADER_OVERHEAD > maxPayload) {
      throw new PayloadTooLargeError(Math.max(0, maxPayload - metaJson.length - HEADER_OVERHEAD), "NATS's max_payload");
    }
    const dedupeKey = meta.dedupeKey === undefined ? undefined : this.dedupeKeyOf(meta.projectId, meta.dedupeKey);
    if (dedupeKey) {
      const earlier = await this.dedupe.get(dedupeKey).catch(() => null);
      if (earlier?.operation === 'PUT') return { id: earlier.string(), duplicate: true };
    }
    const h = natsHeaders();
    h.set(Headers.webhook, metaJson);
    h.set(Headers.webhookId, meta.id);
    let ack;
    try {
      ack = await this.js.publish(Subjects.webhook(meta.projectId), body, {
        msgID: dedupeKey ?? meta.id,
        headers: h,
        timeout: this.timeoutMs,
        // A timed-out publish has an unknown outcome: the retry carries the same msgID, so it cannot double.
        retries: 2,
      });
    } catch (err) {
      throw new PublishNotAckedError(err);
    }
    if (!dedupeKey) return { id: meta.id, duplicate: false };
    if (ack.duplicate) return { id: await this.originalId(ack.seq, meta), duplicate: true };
    await this.dedupe.put(dedupeKey, meta.id).catch((err: unknown) => {
      this.log.warn({ err, webhookId: meta.id, projectId: meta.projectId }, 'could not record the provider delivery id');
    });
    return { id: meta.id, duplicate: false };
  }

  /**
   * Keeps a request whose signature failed, for inspection, when the route asks for it (verify.recordFailures):
   * on `rejected.<project>`, never on the forward path. Best effort: the sender gets its 401 either way.
   */
  async recordRejected(meta: WebhookMeta, body: Uint8Array, reason: string): Promise<void> {
    const h = natsHeaders();
    h.set(Headers.webhook, JSON.stringify(meta));
    h.set(Headers.webhookId, meta.id);
    h.set(Headers.rejectedReason, reason);
    await this.js.publish(Subjects.rejected(meta.projectId), body, { headers: h, timeout: this.timeoutMs }).catch((err: unknown) => {
      this.log.warn({ err, webhookId: meta.id, projectId: meta.projectId }, 'could not record a rejected webhook');
    });
  }

  private dedupeKeyOf(projectId: string, providerId: string): string {
    return `${projectId}.${createHash('sha256').update(providerId).digest('hex').slice(0, 40)}`;
  }

  private async originalId(seq: number, meta: WebhookMeta): Promise<string> {
    const stored = await this.jsm.streams.getMessage(Streams.webhooks, { seq }).catch(() => null);
    const original = stored?.header.get(Headers.webhook);
    const parsed = original ? WebhookMeta.safeParse(JSON.parse(original)) : undefined;
    if (parsed?.success) return parsed.data.id;
    this.log.warn({ webhookId: meta.id, projectId: meta.projectId, seq }, 'duplicate webhook whose original could not be read');
    return meta.id;
  }
}
