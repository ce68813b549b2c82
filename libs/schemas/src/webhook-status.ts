import { z } from 'zod';

/**
 * Where one delivery (one target, one dispatch or replay) stands:
 * - `retrying`: an attempt failed and another is scheduled (or none has been reported yet);
 * - `forwarded`: the target answered 2xx;
 * - `failed`: the last attempt failed and no further one is scheduled (route or target removed, or the
 *   forwarder gave up and a DLQ copy is on its way);
 * - `dlq`: parked in the dead-letter queue.
 */
export const DeliveryStatus = z.enum(['retrying', 'forwarded', 'failed', 'dlq']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

/** A webhook's status: `received` until a delivery reports, then the worst of its targets' statuses. */
export const WebhookStatus = z.enum(['received', 'retrying', 'forwarded', 'failed', 'dlq']);
export type WebhookStatus = z.infer<typeof WebhookStatus>;

/** Worst first: what needs a person's attention sorts ahead of what is still moving, then what is done. */
export const WEBHOOK_STATUS_SEVERITY: Readonly<Record<WebhookStatus, number>> = {
  dlq: 4,
  failed: 3,
  retrying: 2,
  received: 1,
  forwarded: 0,
};

/** The worst of several statuses; `received` when there are none. */
export function worstStatus(statuses: Iterable<WebhookStatus>): WebhookStatus {
  let worst: WebhookStatus | undefined;
  for (const s of statuses) if (worst === undefined || WEBHOOK_STATUS_SEVERITY[s] > WEBHOOK_STATUS_SEVERITY[worst]) worst = s;
  return worst ?? 'received';
}
