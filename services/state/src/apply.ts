import type { Statement } from 'better-sqlite3';
import type { DeliveryEvent, FeedEntry, WebhookMeta, WebhookStatus } from '@hookrelay/schemas';
import { StatusCountChanges } from './counts.js';
import type { SqliteDatabase } from './database.js';
import { deriveDeliveryState, type DeliveryFacts, type LastAttempt } from './delivery-state.js';
import { DELIVERY_STATE_COLUMNS, webhookProgress, type DeliveryStateRow } from './targets.js';

/** A webhook as WEBHOOKS (or a DLQ copy) carries it. */
export interface CapturedWebhook {
  meta: WebhookMeta;
  /** `Hookrelay-Webhook` as ingest wrote it (validated as `meta`): stored as is, not parsed and rebuilt. */
  metaJson: string;
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

/** One delivery's facts as a message states them (the columns of `deliveries` that are merged). */
interface DeliveryFactRow {
  id: string;
  webhookId: string;
  projectId: string;
  target: string;
  url: string | null;
  firstSeenAt: number;
  maxAttempt: number;
  forwardedAt: number | null;
  dlqAt: number | null;
  dlqReason: string | null;
  dlqStreamSeq: number | null;
  failedAt: number | null;
  failedError: string | null;
}

interface AttemptRow {
  deliveryId: string;
  n: number;
  webhookId: string;
  outcome: 'attempt' | 'retrying' | 'forwarded';
  startedAt: number;
  durationMs: number | null;
  statusCode: number | null;
  error: string | null;
  errorStack: string | null;
  responseSnippet: string | null;
  nextAttemptAt: number | null;
}

interface StoredFactsRow {
  target: string;
  first_seen_at: number;
  forwarded_at: number | null;
  dlq_at: number | null;
  failed_at: number | null;
  failed_error: string | null;
  max_attempt: number;
  status: string;
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

/** One delivery of a webhook, with the webhook's head (null while the webhook has no row yet). */
type DeliveryWithWebhookRow = DeliveryStateRow & {
  delivery_project_id: string;
  webhook_status: WebhookStatus | null;
  project_id: string | null;
  method: string | null;
  path: string | null;
  received_at: number | null;
  captured: number | null;
};

type ApplyOutcome = 'inserted' | 'merged' | 'unchanged';

/** A captured webhook as stored, with every delivery of it: what recomputing its status needs. */
interface RecentWebhook {
  projectId: string;
  method: string;
  path: string;
  receivedAt: number;
  status: WebhookStatus;
  deliveries: Map<string, DeliveryStateRow>;
}

/** Webhooks kept in memory: the ones events are about are almost always among the latest captured. */
const RECENT_WEBHOOKS = 50_000;

/**
 * Applies history messages to the database, one transaction per batch. Applying a message twice changes
 * nothing, and any order of the same messages ends in the same rows: facts are merged with min/max and
 * fixed tie-breaks, and the derived columns (statuses, counts) are a function of the facts alone.
 *
 * The common case takes a short path: a delivery first heard of gets its derived state from the one
 * message in the same insert; only one with earlier facts is read back and recomputed.
 */
export class HistoryWriter {
  private readonly insertPayload: Statement<[string, Buffer]>;
  private readonly insertWebhook: Statement<unknown[]>;
  private readonly readWebhookPlace: Statement<[string], { project_id: string; status: WebhookStatus; captured: number }>;
  private readonly fillReservedWebhook: Statement<unknown[]>;
  private readonly reserveWebhook: Statement<[string, string, number, string]>;
  private readonly insertDelivery: Statement<unknown[]>;
  private readonly mergeDelivery: Statement<unknown[]>;
  private readonly insertAttempt: Statement<unknown[]>;
  private readonly mergeAttempt: Statement<unknown[]>;
  private readonly readDeliveryFacts: Statement<[string, string], StoredFactsRow>;
  private readonly writeDeliveryState: Statement<unknown[]>;
  private readonly readDeliveriesWithWebhook: Statement<[string], DeliveryWithWebhookRow>;
  private readonly writeWebhookStatus: Statement<[string, string]>;
  private readonly writeReservedTime: Statement<[number, string]>;
  private readonly counts: StatusCountChanges;
  /**
   * The latest captured webhooks, exactly as stored, so an event about one needs no read back. Every
   * write below keeps it in step; it is dropped whenever a transaction fails or rows change elsewhere.
   */
  private readonly recent = new Map<string, RecentWebhook>();
  private readonly applyInTransaction: (messages: readonly HistoryMessage[]) => FeedEntry[];
  private readonly rebuildInTransaction: () => void;

  constructor(private readonly db: SqliteDatabase) {
    this.insertPayload = db.prepare('INSERT INTO webhook_payloads (request, body) VALUES (?, ?)');
    this.insertWebhook = db.prepare(`
      INSERT INTO webhooks (id, project_id, received_at, method, path, query, content_type, body_size,
                            source_ip, dedupe_key, captured, payload_ref)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`);
    this.readWebhookPlace = db.prepare('SELECT project_id, status, captured FROM webhooks WHERE id = ?');
    this.fillReservedWebhook = db.prepare(`
      UPDATE webhooks SET project_id = ?, received_at = ?, method = ?, path = ?, query = ?, content_type = ?,
                          body_size = ?, source_ip = ?, dedupe_key = ?, captured = 1, payload_ref = ?
      WHERE id = ? AND captured = 0`);
    this.reserveWebhook = db.prepare('INSERT INTO webhooks (id, project_id, received_at, status) VALUES (?, ?, ?, ?)');
    const deliveryFactColumns = `id, webhook_id, project_id, target, url, first_seen_at, max_attempt, forwarded_at,
      dlq_at, dlq_reason, dlq_stream_seq, failed_at, failed_error`;
    this.insertDelivery = db.prepare(`
      INSERT OR IGNORE INTO deliveries (${deliveryFactColumns}, status, attempts, last_status_code, last_error, next_attempt_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.mergeDelivery = db.prepare(`
      INSERT INTO deliveries (${deliveryFactColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (webhook_id, id) DO UPDATE SET
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
    const attemptColumns = `delivery_id, n, webhook_id, outcome, started_at, duration_ms, status_code, error, error_stack,
      response_snippet, next_attempt_at`;
    this.insertAttempt = db.prepare(`INSERT INTO attempts (${attemptColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.mergeAttempt = db.prepare(`
      INSERT INTO attempts (${attemptColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (webhook_id, delivery_id, n) DO UPDATE SET
        outcome = excluded.outcome, started_at = excluded.started_at, duration_ms = excluded.duration_ms,
        status_code = excluded.status_code, error = excluded.error, error_stack = excluded.error_stack,
        response_snippet = excluded.response_snippet, next_attempt_at = excluded.next_attempt_at
      WHERE ${attemptRank('excluded')} > ${attemptRank('attempts')}`);
    this.readDeliveryFacts = db.prepare(`
      SELECT d.target, d.first_seen_at, d.forwarded_at, d.dlq_at, d.failed_at, d.failed_error, d.max_attempt,
             d.status, d.attempts, d.last_status_code, d.last_error, d.next_attempt_at,
             a.n, a.outcome, a.status_code AS attempt_status_code, a.error AS attempt_error,
             a.next_attempt_at AS attempt_next_at
      FROM deliveries d
      LEFT JOIN attempts a ON a.webhook_id = d.webhook_id AND a.delivery_id = d.id
        AND a.n = (SELECT max(n) FROM attempts WHERE webhook_id = d.webhook_id AND delivery_id = d.id)
      WHERE d.webhook_id = ? AND d.id = ?`);
    this.writeDeliveryState = db.prepare(
      'UPDATE deliveries SET status = ?, attempts = ?, last_status_code = ?, last_error = ?, next_attempt_at = ? WHERE webhook_id = ? AND id = ?',
    );
    // Only a webhook with deliveries is ever recomputed, so reading from that side finds it in one query.
    this.readDeliveriesWithWebhook = db.prepare(`
      SELECT ${DELIVERY_STATE_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')}, d.project_id AS delivery_project_id,
             w.status AS webhook_status, w.project_id, w.method, w.path, w.received_at, w.captured
      FROM deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id
      WHERE d.webhook_id = ?`);
    this.writeWebhookStatus = db.prepare('UPDATE webhooks SET status = ? WHERE id = ?');
    this.writeReservedTime = db.prepare('UPDATE webhooks SET received_at = ? WHERE id = ? AND captured = 0');
    this.counts = new StatusCountChanges(db);
    this.applyInTransaction = db.transaction((messages: readonly HistoryMessage[]) => this.applyAll(messages));
    this.rebuildInTransaction = db.transaction(() => this.rebuildAll());
  }

  /**
   * Applies the messages in one transaction and returns a feed entry for each captured webhook that
   * changed (a duplicate changes nothing, so it yields none).
   */
  applyBatch(messages: readonly HistoryMessage[]): FeedEntry[] {
    try {
      return this.applyInTransaction(messages);
    } catch (err) {
      this.counts.discard();
      this.recent.clear();
      throw err;
    }
  }

  /**
   * Recomputes every derived column and the counts from the facts: for after a migration that changes
   * how statuses are derived (and a test that the short paths agree with the long one).
   */
  rebuildDerived(): void {
    this.recent.clear();
    try {
      this.rebuildInTransaction();
    } catch (err) {
      this.counts.discard();
      throw err;
    }
  }

  /** Rows were changed by someone else (retention): what is held in memory may be stale. */
  forgetRecent(): void {
    this.recent.clear();
  }

  private applyAll(messages: readonly HistoryMessage[]): FeedEntry[] {
    const touchedDeliveries = new Map<string, string>(); // delivery id -> webhook id
    const touchedWebhooks = new Set<string>();
    // Webhooks inserted new by this batch and not touched since: their feed entry is their capture.
    const freshWebhooks = new Map<string, WebhookMeta>();
    const captureInto = (webhook: CapturedWebhook) => {
      const { meta } = webhook;
      const outcome = this.capture(webhook);
      if (outcome === 'inserted') {
        freshWebhooks.set(meta.id, meta);
        // Deliveries applied earlier in this batch have no place held yet: then the row is read back instead.
        if (!touchedWebhooks.has(meta.id)) {
          const { projectId, method, path, receivedAt } = meta;
          this.remember(meta.id, { projectId, method, path, receivedAt, status: 'received', deliveries: new Map() });
        }
      } else if (outcome === 'merged') touchedWebhooks.add(meta.id);
    };
    const deliveryChanged = (outcome: ApplyOutcome, deliveryId: string, webhookId: string) => {
      if (outcome === 'unchanged') return;
      if (outcome === 'merged') touchedDeliveries.set(deliveryId, webhookId);
      touchedWebhooks.add(webhookId);
    };
    for (const message of messages) {
      switch (message.kind) {
        case 'webhook':
          captureInto(message.webhook);
          break;
        case 'event':
          deliveryChanged(this.applyEvent(message.event), message.event.deliveryId, message.event.webhookId);
          break;
        case 'dlq':
          captureInto(message.webhook);
          deliveryChanged(this.applyDlqCopy(message), message.deliveryId, message.webhook.meta.id);
          break;
      }
    }
    for (const [deliveryId, webhookId] of touchedDeliveries) this.recomputeDelivery(webhookId, deliveryId);
    const feed: FeedEntry[] = [];
    for (const webhookId of touchedWebhooks) {
      const entry = this.recomputeWebhook(webhookId);
      if (entry) feed.push(entry);
    }
    for (const [webhookId, meta] of freshWebhooks) {
      if (touchedWebhooks.has(webhookId)) continue;
      const { id, projectId, method, path, receivedAt } = meta;
      feed.push({ id, projectId, method, path, receivedAt, status: 'received', targets: [] });
    }
    this.counts.write();
    return feed;
  }

  /** inserted: a webhook not seen before; merged: it completes a place held for it by earlier events. */
  private capture({ meta, metaJson, body }: CapturedWebhook): ApplyOutcome {
    const place = this.readWebhookPlace.get(meta.id);
    if (place?.captured === 1) return 'unchanged';
    const payloadRef = this.insertPayload.run(metaJson, Buffer.from(body.buffer, body.byteOffset, body.byteLength)).lastInsertRowid;
    const values = [
      meta.projectId, meta.receivedAt, meta.method, meta.path, meta.query, meta.contentType ?? null, meta.bodySize,
      meta.sourceIp, meta.dedupeKey ?? null, payloadRef,
    ];
    if (!place) {
      this.insertWebhook.run(meta.id, ...values);
      this.counts.add(meta.projectId, 'received', +1);
      return 'inserted';
    }
    this.fillReservedWebhook.run(...values, meta.id);
    if (place.project_id !== meta.projectId) {
      this.counts.move({ projectId: place.project_id, status: place.status }, { projectId: meta.projectId, status: place.status });
    }
    return 'merged';
  }

  private applyEvent(e: DeliveryEvent): ApplyOutcome {
    const error = splitError(e.error);
    const facts: DeliveryFactRow = {
      id: e.deliveryId,
      webhookId: e.webhookId,
      projectId: e.projectId,
      target: e.target,
      url: e.url ?? null,
      firstSeenAt: e.at,
      maxAttempt: e.attempt,
      forwardedAt: e.kind === 'forwarded' ? e.at : null,
      dlqAt: e.kind === 'dlq' ? e.at : null,
      dlqReason: null,
      dlqStreamSeq: null,
      failedAt: e.kind === 'failed' ? e.at : null,
      failedError: e.kind === 'failed' ? error.message : null,
    };
    // attempt, retrying and forwarded each report one attempt; dlq and failed report the delivery's end.
    const attempt: AttemptRow | undefined =
      e.attempt >= 1 && (e.kind === 'attempt' || e.kind === 'retrying' || e.kind === 'forwarded')
        ? {
            deliveryId: e.deliveryId,
            n: e.attempt,
            webhookId: e.webhookId,
            outcome: e.kind,
            startedAt: e.at,
            durationMs: e.durationMs ?? null,
            statusCode: e.statusCode ?? null,
            error: error.message,
            errorStack: error.stack,
            responseSnippet: e.responseSnippet ?? null,
            nextAttemptAt: e.kind === 'retrying' ? (e.nextAttemptAt ?? null) : null,
          }
        : undefined;
    return this.applyDelivery(facts, attempt);
  }

  private applyDlqCopy(message: Extract<HistoryMessage, { kind: 'dlq' }>): ApplyOutcome {
    return this.applyDelivery({
      id: message.deliveryId,
      webhookId: message.webhook.meta.id,
      projectId: message.webhook.meta.projectId,
      target: message.target,
      url: null,
      firstSeenAt: message.parkedAt,
      maxAttempt: message.deliveries ?? 0,
      forwardedAt: null,
      dlqAt: message.parkedAt,
      dlqReason: message.reason ?? null,
      dlqStreamSeq: message.streamSeq,
      failedAt: null,
      failedError: null,
    }, undefined);
  }

  /**
   * inserted: the first message about this delivery, stored with the state it alone implies (no attempt
   * of it can be stored yet either); merged: facts were added to earlier ones, so it must be recomputed.
   */
  private applyDelivery(f: DeliveryFactRow, attempt: AttemptRow | undefined): ApplyOutcome {
    const factValues = [
      f.id, f.webhookId, f.projectId, f.target, f.url, f.firstSeenAt, f.maxAttempt, f.forwardedAt, f.dlqAt,
      f.dlqReason, f.dlqStreamSeq, f.failedAt, f.failedError,
    ];
    const attemptValues = attempt && [
      attempt.deliveryId, attempt.n, attempt.webhookId, attempt.outcome, attempt.startedAt, attempt.durationMs,
      attempt.statusCode, attempt.error, attempt.errorStack, attempt.responseSnippet, attempt.nextAttemptAt,
    ];
    const derived = deriveDeliveryState(f, attempt);
    const inserted = this.insertDelivery.run(
      ...factValues, derived.status, derived.attempts, derived.lastStatusCode, derived.lastError, derived.nextAttemptAt,
    );
    if (inserted.changes > 0) {
      if (attemptValues) this.insertAttempt.run(...attemptValues);
      this.recent.get(f.webhookId)?.deliveries.set(f.id, {
        id: f.id,
        target: f.target,
        status: derived.status,
        attempts: derived.attempts,
        last_status_code: derived.lastStatusCode,
        last_error: derived.lastError,
        next_attempt_at: derived.nextAttemptAt,
        first_seen_at: f.firstSeenAt,
      });
      return 'inserted';
    }
    let changed = this.mergeDelivery.run(...factValues).changes > 0;
    if (attemptValues) changed = this.mergeAttempt.run(...attemptValues).changes > 0 || changed;
    return changed ? 'merged' : 'unchanged';
  }

  private recomputeDelivery(webhookId: string, deliveryId: string): void {
    const row = this.readDeliveryFacts.get(webhookId, deliveryId);
    if (!row) return;
    const facts: DeliveryFacts = {
      forwardedAt: row.forwarded_at,
      dlqAt: row.dlq_at,
      failedAt: row.failed_at,
      failedError: row.failed_error,
      maxAttempt: row.max_attempt,
    };
    const last: LastAttempt | undefined =
      row.n === null || row.outcome === null
        ? undefined
        : { n: row.n, outcome: row.outcome, statusCode: row.attempt_status_code, error: row.attempt_error, nextAttemptAt: row.attempt_next_at };
    const d = deriveDeliveryState(facts, last);
    if (
      d.status !== row.status || d.attempts !== row.attempts || d.lastStatusCode !== row.last_status_code ||
      d.lastError !== row.last_error || d.nextAttemptAt !== row.next_attempt_at
    ) {
      this.writeDeliveryState.run(d.status, d.attempts, d.lastStatusCode, d.lastError, d.nextAttemptAt, webhookId, deliveryId);
    }
    this.recent.get(webhookId)?.deliveries.set(deliveryId, {
      id: deliveryId,
      target: row.target,
      status: d.status,
      attempts: d.attempts,
      last_status_code: d.lastStatusCode,
      last_error: d.lastError,
      next_attempt_at: d.nextAttemptAt,
      first_seen_at: row.first_seen_at,
    });
  }

  /** Sets the webhook's status from its deliveries; returns its feed entry once it is captured. */
  private recomputeWebhook(webhookId: string): FeedEntry | undefined {
    const held = this.recent.get(webhookId);
    if (held) {
      const progress = webhookProgress([...held.deliveries.values()]);
      if (held.status !== progress.status) {
        this.writeWebhookStatus.run(progress.status, webhookId);
        this.counts.move({ projectId: held.projectId, status: held.status }, { projectId: held.projectId, status: progress.status });
        held.status = progress.status;
      }
      const { projectId, method, path, receivedAt } = held;
      return { id: webhookId, projectId, method, path, receivedAt, status: progress.status, targets: progress.targets };
    }
    const deliveries = this.readDeliveriesWithWebhook.all(webhookId);
    const head = deliveries[0];
    if (!head) return undefined;
    const progress = webhookProgress(deliveries);
    if (head.webhook_status === null || head.project_id === null) {
      // Delivery events came before their webhook: hold its place, dated by its id (or the earliest event).
      const projectId = head.delivery_project_id;
      const receivedAt = uuidV7Time(webhookId) ?? Math.min(...deliveries.map((d) => d.first_seen_at));
      this.reserveWebhook.run(webhookId, projectId, receivedAt, progress.status);
      this.counts.add(projectId, progress.status, +1);
      return undefined;
    }
    if (head.webhook_status !== progress.status) {
      this.writeWebhookStatus.run(progress.status, webhookId);
      this.counts.move({ projectId: head.project_id, status: head.webhook_status }, { projectId: head.project_id, status: progress.status });
    }
    if (head.captured !== 1) {
      // Without a time in the id, a held place is dated by the earliest thing heard about the webhook.
      if (uuidV7Time(webhookId) === undefined) {
        const earliest = Math.min(...deliveries.map((d) => d.first_seen_at));
        if (earliest !== head.received_at) this.writeReservedTime.run(earliest, webhookId);
      }
      return undefined; // the feed shows a webhook once it is captured
    }
    const recent: RecentWebhook = {
      projectId: head.project_id,
      method: head.method ?? '',
      path: head.path ?? '',
      receivedAt: head.received_at ?? 0,
      status: progress.status,
      deliveries: new Map(deliveries.map((d) => [d.id, pickDeliveryState(d)])),
    };
    this.remember(webhookId, recent);
    const { projectId, method, path, receivedAt } = recent;
    return { id: webhookId, projectId, method, path, receivedAt, status: progress.status, targets: progress.targets };
  }

  private remember(webhookId: string, webhook: RecentWebhook): void {
    this.recent.set(webhookId, webhook);
    if (this.recent.size > RECENT_WEBHOOKS) {
      // Forget the oldest tenth at once rather than one per insert.
      let drop = RECENT_WEBHOOKS / 10;
      for (const id of this.recent.keys()) {
        if (drop-- <= 0) break;
        this.recent.delete(id);
      }
    }
  }

  private rebuildAll(): void {
    const deliveries = this.db.prepare('SELECT webhook_id, id FROM deliveries').all() as { webhook_id: string; id: string }[];
    for (const d of deliveries) this.recomputeDelivery(d.webhook_id, d.id);
    for (const { id } of this.db.prepare('SELECT DISTINCT webhook_id AS id FROM deliveries').all() as { id: string }[]) {
      this.recomputeWebhook(id);
    }
    this.counts.discard();
    this.db.exec(`
      UPDATE webhooks SET status = 'received'
        WHERE status <> 'received' AND NOT EXISTS (SELECT 1 FROM deliveries WHERE webhook_id = webhooks.id);
      DELETE FROM webhook_counts;
      INSERT INTO webhook_counts (project_id, status, count) SELECT project_id, status, count(*) FROM webhooks GROUP BY 1, 2;`);
  }
}

function pickDeliveryState(row: DeliveryStateRow): DeliveryStateRow {
  const { id, target, status, attempts, last_status_code, last_error, next_attempt_at, first_seen_at } = row;
  return { id, target, status, attempts, last_status_code, last_error, next_attempt_at, first_seen_at };
}
