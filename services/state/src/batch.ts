import type { JsMsg } from '@nats-io/jetstream';
import type { FeedEntry } from '@hookrelay/schemas';
import type { Logger } from 'pino';
import type { HistoryMessage, HistoryWriter } from './apply.js';
import type { Decoded } from './decode.js';
import type { StateMetrics, StreamLabel } from './metrics.js';

export interface BatchLimits {
  /** Commit once this many messages are waiting. */
  maxMessages: number;
  /** Or once the oldest waiting message has waited this long. */
  maxWaitMs: number;
}

interface Pending {
  stream: StreamLabel;
  msg: JsMsg;
  /** One, or several for a batch of events. */
  messages: HistoryMessage[];
}

/** What a log line says about the webhook a message concerns. */
export function aboutWebhook(message: HistoryMessage): { webhookId: string; projectId: string } {
  if (message.kind === 'event') return { webhookId: message.event.webhookId, projectId: message.event.projectId };
  return { webhookId: message.webhook.meta.id, projectId: message.webhook.meta.projectId };
}

// SQLite errors that say "not now" rather than "never": the message is retried later instead of dropped.
const TRANSIENT_SQLITE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|NOMEM|PROTOCOL)/;
const RETRY_DELAY_MS = 2000;

function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_SQLITE.test(code);
}

/**
 * Collects messages from the three consumers and applies them in one transaction per batch, then acks
 * them (only after the commit) and publishes the feed. Everything here is synchronous, so a batch is
 * never interleaved with another or with a query.
 */
export class BatchApplier {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly writer: HistoryWriter,
    private readonly publishFeed: (entries: FeedEntry[]) => void,
    private readonly metrics: StateMetrics,
    private readonly log: Logger,
    private readonly limits: BatchLimits,
  ) {}

  add(stream: StreamLabel, msg: JsMsg, decoded: Decoded): void {
    if (!decoded.ok) {
      const { ok: _ok, ...why } = decoded;
      this.log.error({ ...why, stream, streamSeq: msg.seq, subject: msg.subject }, 'terminating a message that cannot be applied');
      msg.term();
      this.metrics.messagesApplied.inc({ stream, outcome: 'invalid' });
      return;
    }
    this.pending.push({ stream, msg, messages: decoded.messages });
    if (this.pending.length >= this.limits.maxMessages) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.limits.maxWaitMs);
  }

  /** Applies, commits and acks everything waiting. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const stopTimer = this.metrics.commitSeconds.startTimer();
    let feed: FeedEntry[];
    try {
      feed = this.writer.applyBatch(batch.flatMap((p) => p.messages));
    } catch (err) {
      stopTimer();
      this.metrics.batchFailures.inc();
      this.recover(batch, err);
      return;
    }
    stopTimer();
    this.metrics.batchSize.observe(batch.length);
    for (const p of batch) {
      p.msg.ack();
      this.metrics.messagesApplied.inc({ stream: p.stream, outcome: 'applied' });
    }
    this.publishFeed(feed);
  }

  /**
   * A batch failed. A transient failure (disk full, I/O) retries the whole batch later; otherwise one
   * message is at fault, so each is applied alone and only the one that fails again is dropped.
   */
  private recover(batch: Pending[], err: unknown): void {
    if (isTransient(err)) {
      this.log.error({ err, messages: batch.length }, 'could not commit a batch; retrying it later');
      for (const p of batch) p.msg.nak(RETRY_DELAY_MS);
      return;
    }
    this.log.error({ err, messages: batch.length }, 'a batch failed; applying its messages one by one');
    for (const p of batch) {
      try {
        const feed = this.writer.applyBatch(p.messages);
        p.msg.ack();
        this.metrics.messagesApplied.inc({ stream: p.stream, outcome: 'applied' });
        this.publishFeed(feed);
      } catch (oneErr) {
        const about = p.messages[0] ? aboutWebhook(p.messages[0]) : {};
        if (isTransient(oneErr)) {
          this.log.error({ err: oneErr, ...about, stream: p.stream }, 'could not apply a message; retrying it later');
          p.msg.nak(RETRY_DELAY_MS);
        } else {
          this.log.error({ err: oneErr, ...about, stream: p.stream, streamSeq: p.msg.seq }, 'terminating a message that cannot be applied');
          p.msg.term();
          this.metrics.messagesApplied.inc({ stream: p.stream, outcome: 'invalid' });
        }
      }
    }
  }
}
