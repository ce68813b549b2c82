import type { Statement } from 'better-sqlite3';
import type { DeliveryEvent, DeliveryStatus, FeedEntry, WebhookMeta } from '@hookrelay/schemas';
import type { SqliteDatabase } from './database.js';
import { DELIVERY_STATE_COLUMNS, webhookProgress, type DeliveryStateRow } from './targets.js';

/** A webhook as WEBHOOKS (or a DLQ copy) carries it. */
export interface CapturedWebhook {
  meta: WebhookMeta;
  body: Uint8Array;
}

/** What the three streams tell state, decoded and validated. */
export type HistoryMessage =
  | { kind: 'webhook'; webhook: CapturedWebhook }
  | { kind: 'event'; event: DeliveryEvent }
  | {
      kind: 'dlq';
      webhook: CapturedWebhook;
      deliveryId: string;
      target: string;
      reason: string | undefined;
      deliveries: number | undefined;
      /** Sequence in the DLQ stream. */
      streamSeq: number;
      /** Epoch ms the copy was stored in DLQ. */
      parkedAt: number;
    };

/** Epoch ms in a UUIDv7 (its first 48 bits), or undefined for any other id. */
export function uuidV7Time(id: string): number | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id)) return undefined;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** An error as the forwarder reports it: the first line is the message; a stack trace may follow. */
export function splitError(error: string | undefined): { message: string | null; stack: string | null } {
  if (error === undefined) return { message: null, stack: null };
  const newline = error.indexOf('\n');
  if (newline < 0) return { message: error, stack: null };
  return { message: error.slice(0, newline), stack: error };
}

// Merges that give the same result in any order: the smaller (or larger) non-null value wins.
const minOf = (c: string) => `CASE WHEN excluded.${c} IS NOT NULL AND (${c} IS NULL OR excluded.${c} < ${c}) THEN excluded.${c} ELSE ${c} END`;
const maxOf = (c: string) => `CASE WHEN excluded.${c} IS NOT NULL AND (${c} IS NULL OR excluded.${c} > ${c}) THEN excluded.${c} ELSE ${c} END`;
const lowers = (c: string) => `(excluded.${c} IS NOT NULL AND (${c} IS NULL OR excluded.${c} < ${c}))`;
const raises = (c: string) => `(excluded.${c} IS NOT NULL AND (${c} IS NULL OR excluded.${c} > ${c}))`;
// The first failure (earliest; on a tie the greater message) names the error.
const failureWins = `(excluded.failed_at IS NOT NULL AND (failed_at IS NULL OR excluded.failed_at < failed_at
  OR (excluded.failed_at = failed_at AND coalesce(excluded.failed_error, '') > coalesce(failed_error, ''))))`;
// Two reports of the same attempt: the more final outcome wins, then the later start, then the details.
const attemptRank = (t: string) =>
  `(CASE ${t}.outcome WHEN 'forwarded' THEN 2 WHEN 'attempt' THEN 1 ELSE 0 END, ${t}.started_at, coalesce(${t}.status_code, -1), coalesce(${t}.error, ''))`;

interface DeliveryFactsRow {
  forwarded_at: number | null;
  dlq_at: number | null;
  failed_at: number | null;
  failed_error: string | null;
  max_attempt: number;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
  n: number | null;
  outcome: string | null;
  attempt_status_code: number | null;
  attempt_error: string | null;
  attempt_next_at: number | null;
}

interface WebhookHeadRow {
  status: string;
  project_id: string;
  method: string;
  path: string;
  received_at: number;
  captured: number;
}

/**
 * Applies history messages to the database, one transaction per batch. Applying a message twice changes
 * nothing, and any order of the same messages ends in the same rows: facts are merged with min/max and
 * fixed tie-breaks, and statuses are recomputed from the facts of what the batch touched.
 */
export class HistoryWriter {
  private readonly captureWebhook: Statement<unknown[]>;
  private readonly reserveWebhook: Statement<unknown[]>;
  private readonly mergeDelivery: Statement<unknown[]>;
  private readonly mergeAttempt: Statement<unknown[]>;
  private readonly readDeliveryFacts: Statement<[string], DeliveryFactsRow>;
  private readonly writeDeliveryState: Statement<unknown[]>;
  private readonly readDeliveryStates: Statement<[string], DeliveryStateRow>;
  private readonly readWebhookHead: Statement<[string], WebhookHeadRow>;
  private readonly writeWebhookStatus: Statement<[string, string]>;
  private readonly applyInTransaction: (messages: readonly HistoryMessage[]) => FeedEntry[];

  constructor(db: SqliteDatabase) {
    this.captureWebhook = db.prepare(`
      INSERT INTO webhooks (id, project_id, received_at, method, path, query, content_type, body_size, source_ip,
                            dedupe_key, captured, headers, body)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
      ON CONFLICT (id) DO UPDATE SET
        project_id = excluded.project_id, received_at = excluded.received_at, method = excluded.method,
        path = excluded.path, query = excluded.query, content_type = excluded.content_type,
        body_size = excluded.body_size, source_ip = excluded.source_ip, dedupe_key = excluded.dedupe_key,
        captured = 1, headers = excluded.headers, body = excluded.body
      WHERE webhooks.captured = 0`);
    // A delivery event may come first: hold the webhook's place until WEBHOOKS delivers it.
    this.reserveWebhook = db.prepare(`
      INSERT INTO webhooks (id, project_id, received_at) VALUES (?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET received_at = excluded.received_at
      WHERE webhooks.captured = 0 AND excluded.received_at < webhooks.received_at`);
    this.mergeDelivery = db.prepare(`
      INSERT INTO deliveries (id, webhook_id, project_id, target, url, first_seen_at, max_attempt, forwarded_at,
                              dlq_at, dlq_reason, dlq_stream_seq, failed_at, failed_error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET
        url = ${maxOf('url')},
        first_seen_at = min(first_seen_at, excluded.first_seen_at),
        max_attempt = max(max_attempt, excluded.max_attempt),
        forwarded_at = ${minOf('forwarded_at')},
        dlq_at = ${minOf('dlq_at')},
        dlq_reason = ${maxOf('dlq_reason')},
        dlq_stream_seq = ${minOf('dlq_stream_seq')},
        failed_at = CASE WHEN ${failureWins} THEN excluded.failed_at ELSE failed_at END,
        failed_error = CASE WHEN ${failureWins} THEN excluded.failed_error ELSE failed_error END
      WHERE ${raises('url')} OR excluded.first_seen_at < first_seen_at OR excluded.max_attempt > max_attempt
        OR ${lowers('forwarded_at')} OR ${lowers('dlq_at')} OR ${raises('dlq_reason')} OR ${lowers('dlq_stream_seq')}
        OR ${failureWins}`);
    this.mergeAttempt = db.prepare(`
      INSERT INTO attempts (delivery_id, n, webhook_id, outcome, started_at, duration_ms, status_code, error,
                            error_stack, response_snippet, next_attempt_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (delivery_id, n) DO UPDATE SET
        outcome = excluded.outcome, started_at = excluded.started_at, duration_ms = excluded.duration_ms,
        status_code = excluded.status_code, error = excluded.error, error_stack = excluded.error_stack,
        response_snippet = excluded.response_snippet, next_attempt_at = excluded.next_attempt_at
      WHERE ${attemptRank('excluded')} > ${attemptRank('attempts')}`);
    this.readDeliveryFacts = db.prepare(`
      SELECT d.forwarded_at, d.dlq_at, d.failed_at, d.failed_error, d.max_attempt,
             d.status, d.attempts, d.last_status_code, d.last_error, d.next_attempt_at,
             a.n, a.outcome, a.status_code AS attempt_status_code, a.error AS attempt_error,
             a.next_attempt_at AS attempt_next_at
      FROM deliveries d
      LEFT JOIN attempts a ON a.delivery_id = d.id AND a.n = (SELECT max(n) FROM attempts WHERE delivery_id = d.id)
      WHERE d.id = ?`);
    this.writeDeliveryState = db.prepare(
      'UPDATE deliveries SET status = ?, attempts = ?, last_status_code = ?, last_error = ?, next_attempt_at = ? WHERE id = ?',
    );
    this.readDeliveryStates = db.prepare(`SELECT ${DELIVERY_STATE_COLUMNS} FROM deliveries WHERE webhook_id = ?`);
    this.readWebhookHead = db.prepare('SELECT status, project_id, method, path, received_at, captured FROM webhooks WHERE id = ?');
    this.writeWebhookStatus = db.prepare('UPDATE webhooks SET status = ? WHERE id = ?');
    this.applyInTransaction = db.transaction((messages: readonly HistoryMessage[]) => this.applyAll(messages));
  }

  /**
   * Applies the messages in one transaction and returns a feed entry for each captured webhook that
   * changed (a duplicate changes nothing, so it yields none).
   */
  applyBatch(messages: readonly HistoryMessage[]): FeedEntry[] {
    return this.applyInTransaction(messages);
  }

  private applyAll(messages: readonly HistoryMessage[]): FeedEntry[] {
    const touchedDeliveries = new Set<string>();
    const touchedWebhooks = new Set<string>();
    for (const message of messages) {
      switch (message.kind) {
        case 'webhook':
          if (this.capture(message.webhook)) touchedWebhooks.add(message.webhook.meta.id);
          break;
        case 'event':
          if (this.applyEvent(message.event)) {
            touchedDeliveries.add(message.event.deliveryId);
            touchedWebhooks.add(message.event.webhookId);
          }
          break;
        case 'dlq': {
          const { meta } = message.webhook;
          if (this.capture(message.webhook)) touchedWebhooks.add(meta.id);
          const merged = this.mergeDelivery.run(
            message.deliveryId, meta.id, meta.projectId, message.target, null, message.parkedAt,
            message.deliveries ?? 0, null, message.parkedAt, message.reason ?? null, message.streamSeq, null, null,
          );
          if (merged.changes > 0) {
            touchedDeliveries.add(message.deliveryId);
            touchedWebhooks.add(meta.id);
          }
          break;
        }
      }
    }
    for (const deliveryId of touchedDeliveries) this.recomputeDelivery(deliveryId);
    const feed: FeedEntry[] = [];
    for (const webhookId of touchedWebhooks) {
      const entry = this.recomputeWebhook(webhookId);
      if (entry) feed.push(entry);
    }
    return feed;
  }

  private capture({ meta, body }: CapturedWebhook): boolean {
    return (
      this.captureWebhook.run(
        meta.id, meta.projectId, meta.receivedAt, meta.method, meta.path, meta.query, meta.contentType ?? null,
        meta.bodySize, meta.sourceIp, meta.dedupeKey ?? null, JSON.stringify(meta.headers),
        Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      ).changes > 0
    );
  }

  private applyEvent(e: DeliveryEvent): boolean {
    this.reserveWebhook.run(e.webhookId, e.projectId, uuidV7Time(e.webhookId) ?? e.at);
    const error = splitError(e.error);
    let changed =
      this.mergeDelivery.run(
        e.deliveryId, e.webhookId, e.projectId, e.target, e.url ?? null, e.at, e.attempt,
        e.kind === 'forwarded' ? e.at : null,
        e.kind === 'dlq' ? e.at : null, null, null,
        e.kind === 'failed' ? e.at : null, e.kind === 'failed' ? error.message : null,
      ).changes > 0;
    // attempt, retrying and forwarded each report one attempt; dlq and failed report the delivery's end.
    if (e.attempt >= 1 && (e.kind === 'attempt' || e.kind === 'retrying' || e.kind === 'forwarded')) {
      changed =
        this.mergeAttempt.run(
          e.deliveryId, e.attempt, e.webhookId, e.kind, e.at, e.durationMs ?? null, e.statusCode ?? null,
          error.message, error.stack, e.responseSnippet ?? null, e.kind === 'retrying' ? (e.nextAttemptAt ?? null) : null,
        ).changes > 0 || changed;
    }
    return changed;
  }

  /** A delivery's status from its facts: an end (forwarded, dlq, failed, in that order) or its last attempt. */
  private recomputeDelivery(deliveryId: string): void {
    const f = this.readDeliveryFacts.get(deliveryId);
    if (!f) return;
    const status: DeliveryStatus =
      f.forwarded_at !== null ? 'forwarded'
      : f.dlq_at !== null ? 'dlq'
      : f.failed_at !== null ? 'failed'
      : f.outcome === 'forwarded' ? 'forwarded'
      : f.outcome === 'attempt' ? 'failed' // failed, no retry scheduled: the DLQ copy is on its way
      : 'retrying';
    const attempts = Math.max(f.max_attempt, f.n ?? 0);
    const lastError = status === 'failed' && f.failed_error !== null ? f.failed_error : f.attempt_error;
    const nextAttemptAt = status === 'retrying' ? f.attempt_next_at : null;
    if (
      status !== f.status || attempts !== f.attempts || f.attempt_status_code !== f.last_status_code ||
      lastError !== f.last_error || nextAttemptAt !== f.next_attempt_at
    ) {
      this.writeDeliveryState.run(status, attempts, f.attempt_status_code, lastError, nextAttemptAt, deliveryId);
    }
  }

  private recomputeWebhook(webhookId: string): FeedEntry | undefined {
    const progress = webhookProgress(this.readDeliveryStates.all(webhookId));
    const head = this.readWebhookHead.get(webhookId);
    if (!head) return undefined;
    // Rewriting an unchanged status would still churn the status indexes.
    if (head.status !== progress.status) this.writeWebhookStatus.run(progress.status, webhookId);
    if (head.captured === 0) return undefined; // the feed shows webhooks once they are captured
    return {
      id: webhookId,
      projectId: head.project_id,
      method: head.method,
      path: head.path,
      receivedAt: head.received_at,
      status: progress.status,
      targets: progress.targets,
    };
  }
}
