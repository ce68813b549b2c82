import { z } from 'zod';
import { ProjectId, TargetName } from './names.js';
import { DeliveryStatus, WebhookStatus } from './webhook-status.js';
import { TargetState } from './feed.js';

/**
 * Queries the state service answers over NATS request/reply (DESIGN.md: only state opens the database).
 * The request is JSON of `request`; the reply is JSON of `response`, or a `QueryErrorReply`. Use
 * `decodeStateReply` to read a reply: it tells the two apart and validates either.
 */

const EpochMs = z.int().min(0);

/** Opaque: hand back the `nextCursor` of the previous page unchanged. */
export const ListCursor = z.string().min(1).max(512);

export const MAX_LIST_LIMIT = 500;
export const DEFAULT_LIST_LIMIT = 50;

/** A webhook as lists show it: everything but its headers and body, with its targets' current state. */
export const WebhookSummary = z.object({
  id: z.string(),
  projectId: ProjectId,
  method: z.string(),
  path: z.string(),
  query: z.string(),
  contentType: z.string().optional(),
  bodySize: z.int().min(0),
  sourceIp: z.string(),
  /** Epoch ms. */
  receivedAt: z.int(),
  status: WebhookStatus,
  /** The provider's delivery id (the route's `dedupeHeader`). */
  dedupeKey: z.string().optional(),
  /**
   * False while only delivery events have been seen (they can arrive before the webhook itself): the
   * request fields are then empty and `receivedAt` comes from the id's timestamp.
   */
  captured: z.boolean(),
  /** Sorted by target name. */
  targets: z.array(TargetState),
});
export type WebhookSummary = z.infer<typeof WebhookSummary>;

export const WebhookDetail = WebhookSummary.extend({
  /** Request headers in arrival order, duplicates kept. */
  headers: z.array(z.tuple([z.string(), z.string()])),
  /** The raw body, base64. Absent when `bodyOmitted` says why. */
  bodyBase64: z.string().optional(),
  bodyOmitted: z.enum(['not_captured', 'too_large']).optional(),
});
export type WebhookDetail = z.infer<typeof WebhookDetail>;

/** One delivery: a dispatch to one target, or a replay/retry of it (same webhook and target, a new id). */
export const DeliveryRecord = z.object({
  id: z.string(),
  target: TargetName,
  url: z.string().optional(),
  status: DeliveryStatus,
  attempts: z.int().min(0),
  lastStatusCode: z.int().optional(),
  lastError: z.string().optional(),
  /** Epoch ms of the first thing heard about this delivery; the latest per target is its `current` one. */
  firstSeenAt: z.int(),
  current: z.boolean(),
  forwardedAt: z.int().optional(),
  dlqAt: z.int().optional(),
  dlqReason: z.string().optional(),
  /** Sequence of the copy in the DLQ stream, for replay from there. */
  dlqStreamSeq: z.int().optional(),
  failedAt: z.int().optional(),
  nextAttemptAt: z.int().optional(),
});
export type DeliveryRecord = z.infer<typeof DeliveryRecord>;

export const AttemptOutcome = z.enum(['retrying', 'attempt', 'forwarded']);
export type AttemptOutcome = z.infer<typeof AttemptOutcome>;

/** One attempt of one delivery, as the forwarder reported it. */
export const AttemptRecord = z.object({
  deliveryId: z.string(),
  /** 1-based. */
  n: z.int().min(1),
  /** `forwarded` (2xx), `retrying` (failed, another scheduled) or `attempt` (failed, none scheduled). */
  outcome: AttemptOutcome,
  startedAt: z.int(),
  durationMs: z.number().optional(),
  statusCode: z.int().optional(),
  /** The error's message (first line). */
  error: z.string().optional(),
  /** The error in full, when the forwarder sent a stack trace with it. */
  errorStack: z.string().optional(),
  responseSnippet: z.string().optional(),
  nextAttemptAt: z.int().optional(),
});
export type AttemptRecord = z.infer<typeof AttemptRecord>;

// --- requests and responses ---

export const GetWebhookRequest = z
  .object({
    id: z.string().min(1).max(64),
    /** When set, a webhook of another project is `not_found` (per-project API tokens). */
    projectId: ProjectId.optional(),
  })
  .strict();
export type GetWebhookRequest = z.infer<typeof GetWebhookRequest>;

export const GetWebhookResponse = z.object({
  webhook: WebhookDetail,
  /** Oldest first. */
  deliveries: z.array(DeliveryRecord),
  /** By delivery, then attempt number. */
  attempts: z.array(AttemptRecord),
});
export type GetWebhookResponse = z.infer<typeof GetWebhookResponse>;

const listFilters = {
  projectId: ProjectId.optional(),
  /** Epoch ms, inclusive: receivedAt >= since. */
  since: EpochMs.optional(),
  /** Epoch ms, exclusive: receivedAt < until. */
  until: EpochMs.optional(),
  /** The provider's delivery id (exact match). */
  dedupeKey: z.string().min(1).max(1024).optional(),
  limit: z.int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT),
  cursor: ListCursor.optional(),
};

/** Newest first (receivedAt, then id, descending). */
export const ListWebhooksRequest = z
  .object({
    ...listFilters,
    /** Any of these statuses; all when absent. */
    statuses: z.array(WebhookStatus).min(1).max(WebhookStatus.options.length).optional(),
  })
  .strict();
export type ListWebhooksRequest = z.input<typeof ListWebhooksRequest>;

/** Webhooks whose status is `failed` or `dlq`, newest first. */
export const ListFailedWebhooksRequest = z.object(listFilters).strict();
export type ListFailedWebhooksRequest = z.input<typeof ListFailedWebhooksRequest>;

export const ListWebhooksResponse = z.object({
  items: z.array(WebhookSummary),
  /** Present when there may be more: pass it as `cursor` for the next page. */
  nextCursor: ListCursor.optional(),
});
export type ListWebhooksResponse = z.infer<typeof ListWebhooksResponse>;

export const CountWebhooksRequest = z.object({ projectId: ProjectId.optional() }).strict();
export type CountWebhooksRequest = z.infer<typeof CountWebhooksRequest>;

export const StatusCounts = z.object(
  Object.fromEntries(WebhookStatus.options.map((s) => [s, z.int().min(0)])) as Record<WebhookStatus, z.ZodInt>,
);
export type StatusCounts = z.infer<typeof StatusCounts>;

/** Webhooks kept (within HISTORY_RETENTION), per project and status; projects sorted by id. */
export const CountWebhooksResponse = z.object({
  projects: z.array(z.object({ projectId: ProjectId, total: z.int().min(0), byStatus: StatusCounts })),
});
export type CountWebhooksResponse = z.infer<typeof CountWebhooksResponse>;

export const QueryErrorCode = z.enum(['bad_request', 'not_found', 'internal']);
export type QueryErrorCode = z.infer<typeof QueryErrorCode>;

/** The reply to a query that could not be answered; `details` holds the zod issues of a bad request. */
export const QueryErrorReply = z.object({
  error: z.object({ code: QueryErrorCode, message: z.string(), details: z.unknown().optional() }),
});
export type QueryErrorReply = z.infer<typeof QueryErrorReply>;

/** Every query: its subject, and the schemas of its request and its successful reply. */
export const StateQueries = {
  getWebhook: {
    subject: 'hookrelay.state.webhooks.get',
    request: GetWebhookRequest,
    response: GetWebhookResponse,
  },
  listWebhooks: {
    subject: 'hookrelay.state.webhooks.list',
    request: ListWebhooksRequest,
    response: ListWebhooksResponse,
  },
  listFailedWebhooks: {
    subject: 'hookrelay.state.webhooks.failed',
    request: ListFailedWebhooksRequest,
    response: ListWebhooksResponse,
  },
  countWebhooks: {
    subject: 'hookrelay.state.webhooks.counts',
    request: CountWebhooksRequest,
    response: CountWebhooksResponse,
  },
} as const;
export type StateQueryName = keyof typeof StateQueries;
export type StateQueryRequest<Q extends StateQueryName> = z.input<(typeof StateQueries)[Q]['request']>;
export type StateQueryResponse<Q extends StateQueryName> = z.infer<(typeof StateQueries)[Q]['response']>;

export type StateReply<Q extends StateQueryName> =
  | { ok: true; value: StateQueryResponse<Q> }
  | { ok: false; error: QueryErrorReply['error'] };

/** Reads a reply from state: an error reply, or the query's response, validated either way. */
export function decodeStateReply<Q extends StateQueryName>(query: Q, data: Uint8Array | string): StateReply<Q> {
  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
  } catch {
    return { ok: false, error: { code: 'internal', message: 'state replied with something that is not JSON' } };
  }
  if (typeof json === 'object' && json !== null && 'error' in json) {
    const failure = QueryErrorReply.safeParse(json);
    if (failure.success) return { ok: false, error: failure.data.error };
  }
  const parsed = StateQueries[query].response.safeParse(json);
  if (!parsed.success) {
    return { ok: false, error: { code: 'internal', message: 'state replied with an unexpected shape', details: parsed.error.issues } };
  }
  return { ok: true, value: parsed.data as StateQueryResponse<Q> };
}
