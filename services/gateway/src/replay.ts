import { createHash } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { v7 as uuidv7 } from 'uuid';
import {
  Headers,
  Streams,
  Subjects,
  WebhookMeta,
  type DeliveryRecord,
  type GetWebhookResponse,
  type RouteConfig,
} from '@hookrelay/schemas';
import type { Logger, RouteCache } from '@hookrelay/platform';
import type { BulkRetryRequest, BulkRetryResult, DeliveriesPublished } from '@hookrelay/schemas/gateway-api';
import {
  ApiError,
  BodyUnavailableError,
  NoRouteError,
  NothingToRetryError,
  PublishFailedError,
  StateFailedError,
  TargetNotFoundError,
  WebhookNotFoundError,
} from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import type { StateClient } from './state-client.js';

/** A webhook as it was captured, ready to be delivered again. */
interface CapturedRequest {
  meta: WebhookMeta;
  body: Uint8Array;
}

type RedeliveryKind = 'replay' | 'retry';

const RETRYABLE = new Set<DeliveryRecord['status']>(['failed', 'dlq']);
const BULK_PAGE = 500;
const BULK_CONCURRENCY = 16;
const PUBLISH_TIMEOUT_MS = 5_000;

/**
 * A retry's delivery id is derived from the delivery it retries: asking twice (a double click, a re-run of a
 * bulk retry) publishes the same id, which JetStream's duplicate window drops, so the target is not called
 * twice for one failure. A replay is a deliberate new delivery each time and gets a fresh id.
 */
export function retryDeliveryId(failedDeliveryId: string, target: string): string {
  return `retry-${createHash('sha256').update(failedDeliveryId).digest('hex').slice(0, 32)}:${target}`;
}

export const replayDeliveryId = (target: string): string => `${uuidv7()}:${target}`;

/**
 * Replay and retry: rebuilds the captured request from the history and publishes it to DELIVERIES as a new
 * delivery, which the forwarder delivers and reports like any other (DESIGN.md, Streams and subjects).
 */
export class Redeliveries {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly state: StateClient,
    private readonly routes: RouteCache,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
  ) {}

  /** Delivers the webhook again to every current target of its route, or to the one named. */
  async replay(webhookId: string, target?: string): Promise<DeliveriesPublished> {
    const found = await this.state.getWebhook(webhookId);
    const route = this.routeOf(found);
    const names = route.targets.map((t) => t.name);
    if (target !== undefined && !names.includes(target)) throw new TargetNotFoundError(route.projectId, target, names);
    const targets = target === undefined ? names : [target];
    const captured = await this.capturedRequest(found);
    return this.publish(captured, targets.map((t) => ({ target: t, deliveryId: replayDeliveryId(t) })), 'replay');
  }

  /** Delivers again only to the targets whose current delivery is `failed` or `dlq`. */
  async retry(webhookId: string): Promise<DeliveriesPublished> {
    const found = await this.state.getWebhook(webhookId);
    const failed = found.deliveries.filter((d) => d.current && RETRYABLE.has(d.status));
    if (failed.length === 0) {
      throw new NothingToRetryError(webhookId, `no target's current delivery is failed or dlq (the webhook is ${found.webhook.status})`);
    }
    const route = this.routeOf(found);
    const routed = failed.filter((d) => route.targets.some((t) => t.name === d.target));
    if (routed.length === 0) {
      throw new NothingToRetryError(webhookId, `its failed targets (${failed.map((d) => d.target).join(', ')}) are no longer in the route`);
    }
    const captured = await this.capturedRequest(found);
    return this.publish(
      captured,
      routed.map((d) => ({ target: d.target, deliveryId: retryDeliveryId(d.id, d.target) })),
      'retry',
    );
  }

  /** Retries every failed webhook the filter matches, newest first, up to `limit`. */
  async retryMatching(filter: BulkRetryRequest): Promise<BulkRetryResult> {
    const { ids, truncated } = await this.failedWebhookIds(filter);
    const result: BulkRetryResult = { matched: ids.length, retried: 0, deliveries: 0, skipped: 0, truncated };
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        try {
          const published = await this.retry(id);
          result.retried++;
          result.deliveries += published.deliveries.length;
        } catch (err) {
          // Another retry got there first, the route changed, or the webhook aged out: nothing to do for it.
          if (!isSkippable(err)) throw err;
          result.skipped++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, ids.length) }, worker));
    this.log.info({ ...filter, ...result }, 'bulk retry done');
    return result;
  }

  private async failedWebhookIds(filter: BulkRetryRequest): Promise<{ ids: string[]; truncated: boolean }> {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.state.listWebhooks({
        projectId: filter.projectId,
        since: filter.since,
        until: filter.until,
        statuses: filter.statuses ?? ['failed', 'dlq'],
        limit: Math.min(BULK_PAGE, filter.limit - ids.length + 1),
        cursor,
      });
      for (const item of page.items) ids.push(item.id);
      if (ids.length > filter.limit) return { ids: ids.slice(0, filter.limit), truncated: true };
      if (!page.nextCursor) return { ids, truncated: false };
      if (ids.length === filter.limit) return { ids, truncated: true };
      cursor = page.nextCursor;
    }
  }

  private routeOf(found: GetWebhookResponse): RouteConfig {
    const route = this.routes.get(found.webhook.projectId);
    if (!route) throw new NoRouteError(found.webhook.projectId);
    return route;
  }

  /** The request and its body, from the history; a body too large for a state reply is read from its DLQ copy. */
  private async capturedRequest(found: GetWebhookResponse): Promise<CapturedRequest> {
    const w = found.webhook;
    if (!w.captured) throw new BodyUnavailableError(w.id, 'not_captured');
    const body = w.bodyBase64 !== undefined ? Buffer.from(w.bodyBase64, 'base64') : await this.deadLetterBody(found);
    if (!body) throw new BodyUnavailableError(w.id, w.bodyOmitted ?? 'not_captured');
    const meta = WebhookMeta.safeParse({
      id: w.id,
      projectId: w.projectId,
      method: w.method,
      path: w.path,
      query: w.query,
      headers: w.headers,
      contentType: w.contentType,
      bodySize: w.bodySize,
      sourceIp: w.sourceIp,
      receivedAt: w.receivedAt,
      dedupeKey: w.dedupeKey,
    });
    if (!meta.success) throw new StateFailedError(`webhook ${w.id} as stored is not a request that can be sent again`);
    return { meta: meta.data, body };
  }

  private async deadLetterBody(found: GetWebhookResponse): Promise<Uint8Array | undefined> {
    for (const d of found.deliveries) {
      if (d.dlqStreamSeq === undefined) continue;
      const stored = await this.jsm.streams.getMessage(Streams.dlq, { seq: d.dlqStreamSeq }).catch(() => null);
      if (stored && copiedWebhookId(stored.header.get(Headers.webhook)) === found.webhook.id) return stored.data;
    }
    return undefined;
  }

  private async publish(
    { meta, body }: CapturedRequest,
    deliveries: DeliveriesPublished['deliveries'],
    kind: RedeliveryKind,
  ): Promise<DeliveriesPublished> {
    const metaJson = JSON.stringify(meta);
    try {
      await Promise.all(
        deliveries.map(({ target, deliveryId }) => {
          const h = natsHeaders();
          h.set(Headers.webhook, metaJson);
          h.set(Headers.webhookId, meta.id);
          h.set(Headers.target, target);
          h.set(Headers.deliveryId, deliveryId);
          // The delivery id as Nats-Msg-Id: a publish retried after a timeout cannot create a second delivery.
          return this.js.publish(Subjects.delivery(meta.projectId, target), body, {
            msgID: deliveryId,
            headers: h,
            timeout: PUBLISH_TIMEOUT_MS,
            retries: 2,
          });
        }),
      );
    } catch (err) {
      this.log.warn({ err, webhookId: meta.id, projectId: meta.projectId, kind }, `${kind} could not be published`);
      throw new PublishFailedError(err);
    }
    this.metrics.deliveriesPublished.inc({ kind }, deliveries.length);
    this.log.info({ webhookId: meta.id, projectId: meta.projectId, kind, deliveries }, `${kind} published`);
    return { webhookId: meta.id, projectId: meta.projectId, deliveries };
  }
}

/** Nothing to retry, no route, body unavailable (all 409), or aged out of the history (404). */
function isSkippable(err: unknown): boolean {
  return err instanceof WebhookNotFoundError || (err instanceof ApiError && err.status === 409);
}

function copiedWebhookId(metaJson: string): string | undefined {
  try {
    return WebhookMeta.safeParse(JSON.parse(metaJson)).data?.id;
  } catch {
    return undefined;
  }
}
