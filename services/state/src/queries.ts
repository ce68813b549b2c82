import type { Statement } from 'better-sqlite3';
import type { NatsConnection, Msg, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  StateQueries,
  WebhookMeta,
  WebhookStatus,
  type AttemptOutcome,
  type AttemptRecord,
  type CountWebhooksRequest,
  type CountWebhooksResponse,
  type DeliveryRecord,
  type GetWebhookRequest,
  type GetWebhookResponse,
  type ListWebhooksResponse,
  type QueryErrorCode,
  type QueryErrorReply,
  type StatusCounts,
  type WebhookDetail,
  type WebhookSummary,
} from '@hookrelay/schemas';
import type { SqliteDatabase } from './database.js';
import type { StateMetrics } from './metrics.js';
import { currentDeliveries, DELIVERY_STATE_COLUMNS, targetState, webhookProgress, type DeliveryStateRow } from './targets.js';

export type ListRequest = z.output<typeof StateQueries.listWebhooks.request>;
export type ListFailedRequest = z.output<typeof StateQueries.listFailedWebhooks.request>;

export class WebhookNotFoundError extends Error {
  override readonly name = 'WebhookNotFoundError';
  constructor(readonly webhookId: string) {
    super(`webhook ${webhookId} not found`);
  }
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super('cursor is not one this service handed out');
  }
}

/** Page position: the last row shown, (receivedAt, id), in an opaque base64url wrapper. */
interface Position {
  receivedAt: number;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.receivedAt}:${position.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const receivedAt = Number(text.slice(0, colon));
  const id = text.slice(colon + 1);
  if (colon <= 0 || !Number.isSafeInteger(receivedAt) || id.length === 0) throw new InvalidCursorError();
  return { receivedAt, id };
}

const SUMMARY_COLUMNS =
  'id, project_id, method, path, query, content_type, body_size, source_ip, received_at, status, dedupe_key, captured';

interface SummaryRow {
  id: string;
  project_id: string;
  method: string;
  path: string;
  query: string;
  content_type: string | null;
  body_size: number;
  source_ip: string;
  received_at: number;
  status: WebhookStatus;
  dedupe_key: string | null;
  captured: number;
}

interface DetailRow extends SummaryRow {
  request: string | null;
  body: Buffer | null;
}

interface DeliveryRow extends DeliveryStateRow {
  url: string | null;
  forwarded_at: number | null;
  dlq_at: number | null;
  dlq_reason: string | null;
  dlq_stream_seq: number | null;
  failed_at: number | null;
}

interface AttemptRow {
  delivery_id: string;
  n: number;
  outcome: AttemptOutcome;
  started_at: number;
  duration_ms: number | null;
  status_code: number | null;
  error: string | null;
  error_stack: string | null;
  response_snippet: string | null;
  next_attempt_at: number | null;
}

/** Which filters a list uses: one prepared statement per combination. */
interface ListShape {
  projectId: boolean;
  status: boolean;
  dedupeKey: boolean;
  /** With a provider delivery id, the statuses as a literal IN list (only WebhookStatus values reach it). */
  statusIn: string;
  since: boolean;
  until: boolean;
  cursor: boolean;
}

interface ListParams {
  projectId?: string;
  status?: string;
  dedupeKey?: string;
  since?: number;
  until?: number;
  cursorReceivedAt?: number;
  cursorId?: string;
  limit: number;
}

const FAILED_STATUSES: WebhookStatus[] = ['failed', 'dlq'];

function listSql(shape: ListShape): string {
  const where = ['1 = 1'];
  if (shape.projectId) where.push('project_id = @projectId');
  if (shape.status) where.push('status = @status');
  if (shape.statusIn) where.push(`status IN (${shape.statusIn})`);
  if (shape.dedupeKey) where.push('dedupe_key = @dedupeKey');
  if (shape.since) where.push('received_at >= @since');
  if (shape.until) where.push('received_at < @until');
  if (shape.cursor) where.push('(received_at, id) < (@cursorReceivedAt, @cursorId)');
  // A provider delivery id matches a handful of rows: its index always wins, whatever else is asked.
  const from = shape.dedupeKey ? 'webhooks INDEXED BY webhooks_by_dedupe_key' : 'webhooks';
  return `SELECT ${SUMMARY_COLUMNS} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY received_at DESC, id DESC LIMIT @limit`;
}

/**
 * The statements a list runs. With a project or statuses, one index walk per status: each is already
 * newest first, so merging the first limit+1 of each gives the page without sorting every match.
 */
function listPlan(request: ListRequest): { shape: ListShape; params: ListParams }[] {
  const base: ListParams = { limit: request.limit + 1 };
  if (request.projectId !== undefined) base.projectId = request.projectId;
  if (request.dedupeKey !== undefined) base.dedupeKey = request.dedupeKey;
  if (request.since !== undefined) base.since = request.since;
  if (request.until !== undefined) base.until = request.until;
  if (request.cursor !== undefined) {
    const position = decodeCursor(request.cursor);
    base.cursorReceivedAt = position.receivedAt;
    base.cursorId = position.id;
  }
  const statuses = request.statuses ? [...new Set(request.statuses)] : undefined;
  const shapeOf = (params: ListParams, statusIn = ''): ListShape => ({
    projectId: params.projectId !== undefined,
    status: params.status !== undefined,
    dedupeKey: params.dedupeKey !== undefined,
    statusIn,
    since: params.since !== undefined,
    until: params.until !== undefined,
    cursor: params.cursorId !== undefined,
  });
  if (request.dedupeKey !== undefined || (!statuses && request.projectId === undefined)) {
    const statusIn = statuses && request.dedupeKey !== undefined ? statuses.map((st) => `'${st}'`).join(', ') : '';
    return [{ shape: shapeOf(base, statusIn), params: base }];
  }
  return (statuses ?? WebhookStatus.options).map((status) => {
    const params = { ...base, status };
    return { shape: shapeOf(params), params };
  });
}

const newestFirst = (a: SummaryRow, b: SummaryRow) =>
  b.received_at - a.received_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Reads the history for the gateway. Synchronous: better-sqlite3 answers an indexed page in well under a
 * millisecond, faster than handing it to a worker would be.
 */
export class HistoryQueries {
  private readonly listStatements = new Map<string, Statement<[ListParams], SummaryRow>>();
  private readonly readDetail: Statement<[string], DetailRow>;
  private readonly readPageDeliveries: Statement<[string], DeliveryStateRow & { webhook_id: string }>;
  private readonly readDeliveries: Statement<[string], DeliveryRow>;
  private readonly readAttempts: Statement<[string], AttemptRow>;
  private readonly readCounts: Statement<[], { project_id: string; status: WebhookStatus; count: number }>;
  private readonly readProjectCounts: Statement<[string], { project_id: string; status: WebhookStatus; count: number }>;

  constructor(
    private readonly db: SqliteDatabase,
    /** Bodies whose base64 would not fit in a reply of this size are left out (NATS max_payload). */
    private readonly maxReplyBytes = 1024 * 1024,
  ) {
    this.readDetail = db.prepare(`
      SELECT ${SUMMARY_COLUMNS}, p.request, p.body
      FROM webhooks LEFT JOIN webhook_payloads p ON p.ref = webhooks.payload_ref
      WHERE id = ?`);
    // The deliveries of a whole page in one statement (ids as a JSON array), not one query per webhook.
    this.readPageDeliveries = db.prepare(`
      SELECT webhook_id, ${DELIVERY_STATE_COLUMNS} FROM deliveries
      WHERE webhook_id IN (SELECT value FROM json_each(?))`);
    this.readDeliveries = db.prepare(`
      SELECT ${DELIVERY_STATE_COLUMNS}, url, forwarded_at, dlq_at, dlq_reason, dlq_stream_seq, failed_at
      FROM deliveries WHERE webhook_id = ? ORDER BY first_seen_at, id`);
    this.readAttempts = db.prepare(`
      SELECT a.delivery_id, a.n, a.outcome, a.started_at, a.duration_ms, a.status_code, a.error, a.error_stack,
             a.response_snippet, a.next_attempt_at
      FROM attempts a JOIN deliveries d ON d.webhook_id = a.webhook_id AND d.id = a.delivery_id
      WHERE a.webhook_id = ? ORDER BY d.first_seen_at, d.id, a.n`);
    this.readCounts = db.prepare('SELECT project_id, status, count FROM webhook_counts WHERE count > 0 ORDER BY project_id');
    this.readProjectCounts = db.prepare(
      'SELECT project_id, status, count FROM webhook_counts WHERE project_id = ? AND count > 0',
    );
  }

  getWebhook(request: GetWebhookRequest): GetWebhookResponse {
    const row = this.readDetail.get(request.id);
    if (!row || (request.projectId !== undefined && row.project_id !== request.projectId)) {
      throw new WebhookNotFoundError(request.id);
    }
    const deliveryRows = this.readDeliveries.all(row.id);
    const current = new Set(currentDeliveries(deliveryRows).map((d) => d.id));
    const webhook: WebhookDetail = {
      ...this.summary(row, deliveryRows),
      headers: row.request === null ? [] : WebhookMeta.parse(JSON.parse(row.request)).headers,
    };
    // base64 grows a body by 4/3; leave room for the rest of the reply.
    if (row.captured === 0 || row.body === null) webhook.bodyOmitted = 'not_captured';
    else if (Math.ceil(row.body.length / 3) * 4 > this.maxReplyBytes - 64 * 1024) webhook.bodyOmitted = 'too_large';
    else webhook.bodyBase64 = row.body.toString('base64');
    return {
      webhook,
      deliveries: deliveryRows.map((d) => deliveryRecord(d, current.has(d.id))),
      attempts: this.readAttempts.all(row.id).map(attemptRecord),
    };
  }

  listWebhooks(request: ListRequest): ListWebhooksResponse {
    const limit = request.limit;
    const plan = listPlan(request);
    const rows =
      plan.length === 1 && plan[0]
        ? this.listStatement(plan[0].shape).all(plan[0].params)
        : plan.flatMap(({ shape, params }) => this.listStatement(shape).all(params)).sort(newestFirst).slice(0, limit + 1);
    const page = rows.slice(0, limit);
    const deliveriesOf = new Map<string, DeliveryStateRow[]>();
    if (page.length > 0) {
      for (const d of this.readPageDeliveries.all(JSON.stringify(page.map((r) => r.id)))) {
        const list = deliveriesOf.get(d.webhook_id);
        if (list) list.push(d);
        else deliveriesOf.set(d.webhook_id, [d]);
      }
    }
    const response: ListWebhooksResponse = { items: page.map((r) => this.summary(r, deliveriesOf.get(r.id) ?? [])) };
    const last = page.at(-1);
    if (rows.length > limit && last) response.nextCursor = encodeCursor({ receivedAt: last.received_at, id: last.id });
    return response;
  }

  listFailedWebhooks(request: ListFailedRequest): ListWebhooksResponse {
    return this.listWebhooks({ ...request, statuses: FAILED_STATUSES });
  }

  countWebhooks(request: CountWebhooksRequest): CountWebhooksResponse {
    const rows = request.projectId !== undefined ? this.readProjectCounts.all(request.projectId) : this.readCounts.all();
    const projects = new Map<string, { projectId: string; total: number; byStatus: StatusCounts }>();
    for (const row of rows) {
      let project = projects.get(row.project_id);
      if (!project) {
        const byStatus = Object.fromEntries(WebhookStatus.options.map((s) => [s, 0])) as StatusCounts;
        project = { projectId: row.project_id, total: 0, byStatus };
        projects.set(row.project_id, project);
      }
      project.byStatus[row.status] += row.count;
      project.total += row.count;
    }
    return { projects: [...projects.values()] };
  }

  /** The query plan of each statement a list request runs (EXPLAIN QUERY PLAN details). */
  explainList(request: ListRequest): string[][] {
    return listPlan(request).map(({ shape, params }) => {
      const plan = this.db.prepare(`EXPLAIN QUERY PLAN ${listSql(shape)}`).all(params) as { detail: string }[];
      return plan.map((p) => p.detail);
    });
  }

  private listStatement(shape: ListShape): Statement<[ListParams], SummaryRow> {
    const key = JSON.stringify(shape);
    let statement = this.listStatements.get(key);
    if (!statement) {
      statement = this.db.prepare<[ListParams], SummaryRow>(listSql(shape));
      this.listStatements.set(key, statement);
    }
    return statement;
  }

  private summary(row: SummaryRow, deliveries: DeliveryStateRow[]): WebhookSummary {
    const summary: WebhookSummary = {
      id: row.id,
      projectId: row.project_id,
      method: row.method,
      path: row.path,
      query: row.query,
      bodySize: row.body_size,
      sourceIp: row.source_ip,
      receivedAt: row.received_at,
      status: row.status,
      captured: row.captured === 1,
      targets: webhookProgress(deliveries).targets,
    };
    if (row.content_type !== null) summary.contentType = row.content_type;
    if (row.dedupe_key !== null) summary.dedupeKey = row.dedupe_key;
    return summary;
  }
}

function deliveryRecord(row: DeliveryRow, current: boolean): DeliveryRecord {
  const state = targetState(row);
  const record: DeliveryRecord = {
    id: row.id,
    target: row.target,
    status: row.status,
    attempts: row.attempts,
    firstSeenAt: row.first_seen_at,
    current,
  };
  if (row.url !== null) record.url = row.url;
  if (state.lastStatusCode !== undefined) record.lastStatusCode = state.lastStatusCode;
  if (state.lastError !== undefined) record.lastError = state.lastError;
  if (state.nextAttemptAt !== undefined) record.nextAttemptAt = state.nextAttemptAt;
  if (row.forwarded_at !== null) record.forwardedAt = row.forwarded_at;
  if (row.dlq_at !== null) record.dlqAt = row.dlq_at;
  if (row.dlq_reason !== null) record.dlqReason = row.dlq_reason;
  if (row.dlq_stream_seq !== null) record.dlqStreamSeq = row.dlq_stream_seq;
  if (row.failed_at !== null) record.failedAt = row.failed_at;
  return record;
}

function attemptRecord(row: AttemptRow): AttemptRecord {
  const record: AttemptRecord = { deliveryId: row.delivery_id, n: row.n, outcome: row.outcome, startedAt: row.started_at };
  if (row.duration_ms !== null) record.durationMs = row.duration_ms;
  if (row.status_code !== null) record.statusCode = row.status_code;
  if (row.error !== null) record.error = row.error;
  if (row.error_stack !== null) record.errorStack = row.error_stack;
  if (row.response_snippet !== null) record.responseSnippet = row.response_snippet;
  if (row.next_attempt_at !== null) record.nextAttemptAt = row.next_attempt_at;
  return record;
}

// --- serving over NATS request/reply ---

const QUEUE_GROUP = 'hookrelay-state';
const utf8 = new TextDecoder();

function errorReply(code: QueryErrorCode, message: string, details?: unknown): QueryErrorReply {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Where an error becomes a reply: the one place that maps error classes to codes. */
function replyForError(err: unknown): QueryErrorReply {
  if (err instanceof WebhookNotFoundError) return errorReply('not_found', err.message, { id: err.webhookId });
  if (err instanceof InvalidCursorError) return errorReply('bad_request', err.message, [{ path: ['cursor'], message: err.message }]);
  return errorReply('internal', 'the query failed; see the state service log');
}

/**
 * Answers the queries of `StateQueries` (libs/schemas) on their subjects. Requests are validated with
 * their zod schema; anything wrong gets an error reply, never an exception out of the handler.
 */
export function serveQueries(nc: NatsConnection, queries: HistoryQueries, log: Logger, metrics: StateMetrics): Subscription[] {
  function serve<S extends z.ZodType>(name: string, subject: string, schema: S, run: (request: z.output<S>) => unknown): Subscription {
    return nc.subscribe(subject, {
      queue: QUEUE_GROUP,
      callback: (err, msg) => {
        if (err) {
          log.error({ err, subject }, 'query subscription failed');
          return;
        }
        const stopTimer = metrics.querySeconds.startTimer({ query: name });
        const { outcome, body } = answer(msg, schema, run, name);
        metrics.queries.inc({ query: name, outcome });
        try {
          msg.respond(JSON.stringify(body));
        } catch (respondErr) {
          log.error({ err: respondErr, query: name }, 'could not send a query reply');
        }
        stopTimer();
      },
    });
  }

  function answer<S extends z.ZodType>(
    msg: Msg,
    schema: S,
    run: (request: z.output<S>) => unknown,
    name: string,
  ): { outcome: QueryErrorCode | 'ok'; body: unknown } {
    const failed = (reply: QueryErrorReply) => ({ outcome: reply.error.code, body: reply });
    let json: unknown;
    try {
      json = JSON.parse(msg.data.length === 0 ? '{}' : utf8.decode(msg.data));
    } catch {
      return failed(errorReply('bad_request', 'the request is not JSON'));
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) return failed(errorReply('bad_request', `invalid ${name} request`, parsed.error.issues));
    try {
      return { outcome: 'ok', body: run(parsed.data) };
    } catch (err) {
      if (!(err instanceof WebhookNotFoundError || err instanceof InvalidCursorError)) {
        log.error({ err, query: name, request: parsed.data }, 'query failed');
      }
      return failed(replyForError(err));
    }
  }

  return [
    serve('getWebhook', StateQueries.getWebhook.subject, StateQueries.getWebhook.request, (r) => queries.getWebhook(r)),
    serve('listWebhooks', StateQueries.listWebhooks.subject, StateQueries.listWebhooks.request, (r) => queries.listWebhooks(r)),
    serve('listFailedWebhooks', StateQueries.listFailedWebhooks.subject, StateQueries.listFailedWebhooks.request, (r) =>
      queries.listFailedWebhooks(r),
    ),
    serve('countWebhooks', StateQueries.countWebhooks.subject, StateQueries.countWebhooks.request, (r) => queries.countWebhooks(r)),
  ];
}
