import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { Headers, ProjectId, Subjects, type RouteConfig, type TargetSpec, type WebhookMeta } from '@hookrelay/schemas';
import type { Logger, RouteCache } from '@hookrelay/platform';
import type { DeliveryAttempts } from './attempt.js';
import type { DeadLetters } from './dead-letter.js';
import { deliveryHeaders, firstDeliveryId, readWebhookMeta, MalformedMessageError } from './delivery-message.js';
import type { ForwarderMetrics } from './metrics.js';

export interface DispatchOptions {
  /** First attempts in flight per project before its webhooks go straight to DELIVERIES instead. */
  inlinePerProject: number;
}

/**
 * Dispatches an accepted webhook to every target of its route, making the first attempt right here: most
 * webhooks are delivered at the first try, and then need no DELIVERIES message at all (one hop, three NATS
 * operations fewer). A failed first attempt becomes a DELIVERIES message that waits for the retry time on its
 * route's consumer, which makes the later attempts. When a project already has many first attempts in flight
 * (a slow target), its webhooks go to DELIVERIES directly, so one project cannot hold the others up.
 * The WEBHOOKS message is acked once every target is settled; a crash before that dispatches it again, and
 * the deterministic delivery ids (Nats-Msg-Id) keep DELIVERIES from doubling.
 */
export class Dispatcher {
  private readonly inline = new Map<string, number>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly routes: RouteCache,
    private readonly attempts: DeliveryAttempts,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: ForwarderMetrics,
    private readonly log: Logger,
    private readonly options: DispatchOptions,
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
    this.metrics.dispatched.labels(projectId).inc(route.targets.length);
    const inFlight = this.inline.get(projectId) ?? 0;
    if (inFlight >= this.options.inlinePerProject) {
      await Promise.all(
        route.targets.map((t) => this.enqueue(projectId, webhookId, t.name, msg.data, metaJson, firstDeliveryId(webhookId, t.name))),
      );
      msg.ack();
      return;
    }
    let meta: WebhookMeta;
    try {
      meta = readWebhookMeta(msg.headers).meta;
    } catch (err) {
      if (!(err instanceof MalformedMessageError)) throw err;
      this.log.error({ err, webhookId, projectId }, 'dropping a webhook message whose request cannot be read');
      msg.term();
      return;
    }
    this.inline.set(projectId, inFlight + 1);
    // Attempts can outlast the consumer's ack wait: keep telling the server the message is being worked on.
    const keepAlive = setInterval(() => msg.working(), 4_000);
    try {
      await Promise.all(route.targets.map((target) => this.firstAttempt(meta, metaJson, msg.data, route, target)));
      msg.ack();
    } finally {
      clearInterval(keepAlive);
      const left = (this.inline.get(projectId) ?? 1) - 1;
      if (left > 0) this.inline.set(projectId, left);
      else this.inline.delete(projectId);
    }
  };

  private async firstAttempt(meta: WebhookMeta, metaJson: string, body: Uint8Array, route: RouteConfig, target: TargetSpec): Promise<void> {
    const deliveryId = firstDeliveryId(meta.id, target.name);
    const decision = await this.attempts.run({ meta, body, route, target, deliveryId, attempt: 1 });
    if (decision.next === 'done') return;
    if (decision.next === 'retry') {
      await this.enqueue(meta.projectId, meta.id, target.name, body, metaJson, deliveryId, Date.now() + decision.delayMs);
      return;
    }
    await this.deadLetters.park({
      headers: deliveryHeaders(metaJson, meta.id, target.name, deliveryId),
      body,
      reason: decision.next === 'exhausted' ? 'max_deliveries' : 'terminated',
      deliveries: 1,
    });
  }

  /** Puts a delivery on its route's consumer; with `retryAt`, its first delivery there only waits until then. */
  private enqueue(projectId: string, webhookId: string, target: string, body: Uint8Array, metaJson: string, deliveryId: string, retryAt?: number) {
    const headers = deliveryHeaders(metaJson, webhookId, target, deliveryId);
    if (retryAt !== undefined) headers.set(Headers.retryAt, String(retryAt));
    return this.js.publish(Subjects.delivery(projectId, target), body, { msgID: deliveryId, headers, retries: 3 });
  }
}
