import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { FeedEntry, Streams, Subjects, type WebhookStatus } from '@hookrelay/schemas';
import type { Logger } from '@hookrelay/platform';
import type { GatewayMetrics } from './metrics.js';
import type { SseStream } from './sse.js';

/** What one feed shows: one project or all, and optionally only some statuses. */
export interface FeedFilter {
  projectId?: string;
  statuses?: ReadonlySet<WebhookStatus>;
}

export interface LiveFeedOptions {
  heartbeatMs: number;
  /** A client's unsent bytes beyond which it is dropped (also paces its catch-up). */
  maxBufferBytes: number;
  /** Live entries held for a client while it catches up; more and it is dropped as slow. */
  maxHeldEvents?: number;
  /** How long a catching-up client may take to read what was written before it is dropped. */
  catchUpDrainTimeoutMs?: number;
}

/** A FEED message, ready to write: its SSE frame is built once and written to every client it matches. */
interface FeedEvent {
  seq: number;
  projectId: string;
  status: WebhookStatus;
  frame: string;
}

interface Subscriber {
  filter: FeedFilter;
  stream: SseStream;
  /** The highest stream sequence this client has been given (or skipped past): nothing at or below is sent. */
  lastSeq: number;
  /** While catching up: live events that arrived meanwhile, sent once the catch-up reaches them. */
  held: FeedEvent[] | undefined;
}

const TAIL_BATCH = 1024;
const CATCH_UP_BATCH = 256;
const RESTART_DELAY_MS = 1000;

/**
 * The live feeds. One ordered consumer (the tail) reads FEED from "now" and fans each entry out to every
 * SSE client it matches, so the NATS server sees one consumer per gateway, not one per browser tab.
 *
 * A client resuming with Last-Event-ID gets its own short-lived ordered consumer from that sequence
 * (deliver_policy by_start_sequence), read until nothing is pending, then joins the tail. It is registered
 * with the tail before its catch-up starts and holds what the tail brings meanwhile; everything at or below
 * what the catch-up sent is skipped. So every entry after the resume point is sent once, in order.
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  private tail: ConsumerMessages | undefined;
  /** The last sequence the tail read (the stream's end at start): a reopened tail continues from it, so live clients see no gap. */
  private tailSeq = 0;
  private tailRunning = false;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly maxHeldEvents: number;
  private readonly catchUpDrainTimeoutMs: number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    private readonly options: LiveFeedOptions,
  ) {
    this.maxHeldEvents = options.maxHeldEvents ?? 10_000;
    this.catchUpDrainTimeoutMs = options.catchUpDrainTimeoutMs ?? 30_000;
  }

  /** Opens the tail (awaited, so a client connecting right after start sees what follows) and keeps it open. */
  async start(): Promise<void> {
    // From the stream's end as a sequence rather than deliver_policy "new": an ordered consumer that resets
    // before its first message would otherwise restart from sequence 1 and replay the whole stream to everyone.
    this.tailSeq = (await this.jsm.streams.info(Streams.feed)).state.last_seq;
    const first = await this.openTail();
    void this.runTail(first);
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** False while the tail is being reopened: feeds would show nothing new. */
  get isLive(): boolean {
    return this.tailRunning;
  }

  get clientCount(): number {
    return this.subscribers.size;
  }

  /**
   * Streams the feed to `stream` until it closes: first what followed `resumeAfter` (a Last-Event-ID), then
   * live entries. Resolves once the client is live.
   */
  async subscribe(stream: SseStream, filter: FeedFilter, resumeAfter?: number): Promise<void> {
    const sub: Subscriber = { filter, stream, lastSeq: 0, held: resumeAfter === undefined ? undefined : [] };
    const feed = filter.projectId === undefined ? 'all' : 'project';
    this.subscribers.add(sub);
    this.metrics.feedClients.inc({ feed });
    stream.onClose(() => {
      this.subscribers.delete(sub);
      this.metrics.feedClients.dec({ feed });
    });
    if (resumeAfter !== undefined) {
      try {
        await this.catchUp(sub, resumeAfter);
      } catch (err) {
        // The client reconnects by itself and resumes from what it got.
        this.log.warn({ err, projectId: filter.projectId, resumeAfter }, 'feed catch-up failed; closing the stream');
        stream.end();
        return;
      }
      const held = sub.held ?? [];
      sub.held = undefined;
      let sent = 0;
      for (const event of held) if (this.send(sub, event)) sent++;
      this.metrics.feedEventsSent.inc(sent);
    }
    stream.comment('live');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    for (const sub of [...this.subscribers]) sub.stream.end();
    await this.tail?.close();
  }

  private async openTail(): Promise<ConsumerMessages> {
    const consumer = await this.js.consumers.get(Streams.feed, {
      filter_subjects: 'feed.>',
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.tailSeq + 1,
    });
    this.tail = await consumer.consume({ max_messages: TAIL_BATCH });
    this.tailRunning = true;
    return this.tail;
  }

  /** An ordered consumer recovers from reconnects by itself; this reopens it if it ends for another reason. */
  private async runTail(first: ConsumerMessages): Promise<void> {
    let messages: ConsumerMessages | undefined = first;
    while (!this.stopped && !this.nc.isClosed()) {
      try {
        messages ??= await this.openTail();
        for await (const msg of messages) this.dispatch(msg);
      } catch (err) {
        if (!this.stopped) this.log.warn({ err }, 'feed tail failed; reopening');
      }
      this.tailRunning = false;
      messages = undefined;
      if (!this.stopped) await new Promise((r) => setTimeout(r, RESTART_DELAY_MS));
    }
  }

  private dispatch(msg: JsMsg): void {
    this.tailSeq = msg.seq;
    this.metrics.feedEntriesReceived.inc();
    const event = this.toEvent(msg);
    if (!event) return;
    let sent = 0;
    for (const sub of this.subscribers) {
      if (!matches(sub.filter, event)) continue;
      if (!sub.held) {
        if (this.send(sub, event)) sent++;
      } else if (sub.held.length < this.maxHeldEvents) {
        sub.held.push(event);
      } else {
        sub.stream.drop('slow');
      }
    }
    this.metrics.feedEventsSent.inc(sent);
  }

  private send(sub: Subscriber, event: FeedEvent): boolean {
    if (event.seq <= sub.lastSeq || !sub.stream.write(event.frame)) return false;
    sub.lastSeq = event.seq;
    return true;
  }

  private async catchUp(sub: Subscriber, after: number): Promise<void> {
    const { state } = await this.jsm.streams.info(Streams.feed);
    // An id beyond the stream's end is from a FEED stream that was since recreated: start afresh.
    sub.lastSeq = after > state.last_seq ? 0 : after;
    if (after >= state.last_seq) return;
    const consumer = await this.js.consumers.get(Streams.feed, {
      filter_subjects: sub.filter.projectId === undefined ? 'feed.>' : Subjects.feed(sub.filter.projectId),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: after + 1,
    });
    try {
      if ((await consumer.info(true)).num_pending === 0) return;
      const messages = await consumer.consume({ max_messages: CATCH_UP_BATCH });
      let sent = 0;
      for await (const msg of messages) {
        if (!sub.stream.isOpen) break;
        const event = this.toEvent(msg);
        if (event && matches(sub.filter, event) && this.send(sub, event)) sent++;
        sub.lastSeq = Math.max(sub.lastSeq, msg.seq);
        if (msg.info.pending === 0) break;
        // Paced by the client: wait for it to read rather than buffer the whole backlog in memory.
        if (sub.stream.buffered > this.options.maxBufferBytes / 2 && !(await sub.stream.drained(this.catchUpDrainTimeoutMs))) {
          sub.stream.drop('slow');
          break;
        }
      }
      await messages.close();
      this.metrics.feedEventsSent.inc(sent);
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }

  private beat(): void {
    for (const sub of this.subscribers) sub.stream.comment('heartbeat');
  }

  private toEvent(msg: JsMsg): FeedEvent | undefined {
    let parsed;
    try {
      parsed = FeedEntry.safeParse(msg.json());
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.log.warn({ seq: msg.seq, subject: msg.subject }, 'skipping a FEED message that is not a feed entry');
      return undefined;
    }
    const entry = parsed.data;
    return { seq: msg.seq, projectId: entry.projectId, status: entry.status, frame: `id: ${msg.seq}\ndata: ${JSON.stringify(entry)}\n\n` };
  }
}

function matches(filter: FeedFilter, event: FeedEvent): boolean {
  return (
    (filter.projectId === undefined || filter.projectId === event.projectId) &&
    (filter.statuses === undefined || filter.statuses.has(event.status))
  );
}
