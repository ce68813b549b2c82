import type { JetStreamClient } from '@nats-io/jetstream';
import { MAX_EVENTS_PER_MESSAGE, Subjects, type DeliveryEvent } from '@hookrelay/schemas';
import type { Logger } from '@hookrelay/platform';

/** How long an event may wait for others of its project and kind before its message is published. */
const BATCH_WINDOW_MS = 2;

interface PendingBatch {
  events: DeliveryEvent[];
  settled: (() => void)[];
}

/**
 * Publishes what happened to deliveries on EVENTS for the state service: the events of one project and kind
 * that occur within a couple of milliseconds go out as one message (a JSON array, in order), acked by
 * JetStream before publish() resolves. A publish that still fails after retries is logged, not thrown: the
 * delivery itself goes on (it is in WEBHOOKS or DELIVERIES), only its history would lag.
 */
export class DeliveryEvents {
  private readonly pending = new Map<string, PendingBatch>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly log: Logger,
  ) {}

  publish(event: DeliveryEvent): Promise<void> {
    const subject = Subjects.event(event.projectId, event.kind);
    let batch = this.pending.get(subject);
    if (!batch) this.pending.set(subject, (batch = { events: [], settled: [] }));
    batch.events.push(event);
    const done = new Promise<void>((resolve) => batch.settled.push(resolve));
    if (batch.events.length >= MAX_EVENTS_PER_MESSAGE) void this.send(subject);
    else this.timer ??= setTimeout(() => this.flush(), BATCH_WINDOW_MS);
    return done;
  }

  /** Publishes everything waiting. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    return Promise.all([...this.pending.keys()].map((subject) => this.send(subject))).then(() => undefined);
  }

  private async send(subject: string): Promise<void> {
    const batch = this.pending.get(subject);
    if (!batch) return;
    this.pending.delete(subject);
    try {
      await this.js.publish(subject, JSON.stringify(batch.events), { retries: 3, timeout: 5000 });
    } catch (err) {
      for (const event of batch.events) {
        this.log.error(
          { err, webhookId: event.webhookId, projectId: event.projectId, target: event.target, kind: event.kind },
          'could not publish a delivery event; the history will miss it',
        );
      }
    } finally {
      for (const settle of batch.settled) settle();
    }
  }
}
