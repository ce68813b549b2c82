import { z } from 'zod';
import { AttemptRecord, DeliveryRecord, ListCursor, MAX_LIST_LIMIT, StatusCounts, WebhookSummary } from './queries.js';
import { FeedEntry, TargetState } from './feed.js';
import { ProjectId, TargetName } from './names.js';
import { DeliveryPolicy } from './route.js';
import { WebhookStatus } from './webhook-status.js';

/**
 * The HTTP contract of the gateway, shared with the web console, which reads its answers. Every input is
 * parsed with these, and /openapi.json is generated from them. Query values arrive as strings (or arrays of
 * strings when repeated); the schemas turn them into typed values.
 */

// --- inputs ---

const DIGITS = /^\d{1,15}$/;

/** A time as epoch milliseconds or ISO-8601 with an offset; parsed to epoch ms. */
const Instant = z
  .union([z.string().regex(DIGITS), z.iso.datetime({ offset: true })])
  .transform((v) => (DIGITS.test(v) ? Number(v) : Date.parse(v)))
  .pipe(z.int().min(0, 'must not be before 1970'))
  .meta({ description: 'epoch milliseconds, or an ISO-8601 date-time with offset (2025-01-31T12:00:00Z)' });

/** Repeatable (`status=a&status=b`) or comma-separated (`status=a,b`). */
function listParam<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v.flatMap((s) => (typeof s === 'string' ? s.split(',') : [s])) : v),
    z.array(item).min(1).max(16),
  );
}

const Limit = z
  .string()
  .regex(/^\d{1,5}$/, 'must be a whole number')
  .transform(Number)
  .pipe(z.int().min(1).max(MAX_LIST_LIMIT))
  .meta({ description: `page size, 1..${MAX_LIST_LIMIT} (default 50)` });

export const WebhookIdParams = z.object({
  id: z.string().regex(/^[0-9A-Za-z-]{1,64}$/, 'must be a webhook id'),
});

export const ProjectParams = z.object({ projectId: ProjectId });

const listFilters = {
  projectId: ProjectId.optional().meta({ description: 'only this project (a project token sees only its own)' }),
  since: Instant.optional().meta({ description: 'received at or after (epoch ms or ISO-8601)' }),
  until: Instant.optional().meta({ description: 'received before (epoch ms or ISO-8601)' }),
  dedupeKey: z.string().min(1).max(1024).optional().meta({ description: "the provider's delivery id (the route's dedupeHeader)" }),
  limit: Limit.optional(),
  cursor: ListCursor.optional().meta({ description: 'the nextCursor of the previous page' }),
};

export const WebhookListQuery = z
  .object({
    ...listFilters,
    status: listParam(WebhookStatus).optional().meta({ description: 'any of these statuses; repeat it or separate with commas' }),
  })
  .strict();
export type WebhookListQuery = z.output<typeof WebhookListQuery>;

export const FailedWebhookListQuery = z.object(listFilters).strict();

export const FeedQuery = z
  .object({
    status: listParam(WebhookStatus).optional().meta({ description: 'only entries whose webhook has one of these statuses' }),
    access_token: z.string().optional().meta({ description: 'the API token, for EventSource clients that cannot send a header' }),
    lastEventId: z
      .string()
      .regex(/^\d{1,15}$/)
      .optional()
      .meta({ description: 'resume after this event id, for clients that cannot send Last-Event-ID' }),
  })
  .strict();

/** `Last-Event-ID`: the stream sequence of the last event the client saw. */
export const LastEventId = z.string().regex(/^\d{1,15}$/, 'must be an event id this feed sent').transform(Number);

export const ReplayRequest = z
  .object({
    target: TargetName.optional().meta({ description: "one of the route's targets; all of them when absent" }),
  })
  .strict();

/** Retry takes no options; a body, if any, must be an empty JSON object. */
export const RetryRequest = z.object({}).strict();

const RetryableStatus = z.enum(['failed', 'dlq']);

const JsonInstant = z
  .union([z.int().min(0), z.iso.datetime({ offset: true })])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)))
  .pipe(z.int().min(0, 'must not be before 1970'))
  .meta({ description: 'epoch milliseconds, or an ISO-8601 date-time with offset' });

export const MAX_BULK_RETRY = 10_000;

export const BulkRetryRequest = z
  .object({
    projectId: ProjectId.optional(),
    since: JsonInstant.optional().meta({ description: 'received at or after' }),
    until: JsonInstant.optional().meta({ description: 'received before' }),
    statuses: z.array(RetryableStatus).min(1).max(2).optional().meta({ description: 'which failures; both when absent' }),
    limit: z.int().min(1).max(MAX_BULK_RETRY).default(1000).meta({ description: 'retry at most this many webhooks, newest first' }),
  })
  .strict();
export type BulkRetryRequest = z.output<typeof BulkRetryRequest>;

// --- outputs ---

export const WebhookPage = z.object({
  items: z.array(WebhookSummary),
  nextCursor: ListCursor.optional().meta({ description: 'present when there may be more: pass it as cursor' }),
});

export const CapturedBody = z.object({
  /** utf8: `data` is the body as text; base64: the body was not valid UTF-8. */
  encoding: z.enum(['utf8', 'base64']),
  data: z.string(),
});

export const WebhookView = WebhookSummary.extend({
  headers: z.array(z.tuple([z.string(), z.string()])).meta({ description: 'request headers in arrival order, duplicates kept' }),
  body: CapturedBody.optional().meta({ description: 'absent when bodyOmitted says why' }),
  bodyOmitted: z.enum(['not_captured', 'too_large']).optional(),
});

export const WebhookDetail = z.object({
  webhook: WebhookView,
  deliveries: z.array(DeliveryRecord).meta({ description: 'every dispatch, replay and retry, oldest first; `current` marks the latest per target' }),
  attempts: z.array(AttemptRecord),
});
export type WebhookDetail = z.infer<typeof WebhookDetail>;

export const PublishedDelivery = z.object({ target: TargetName, deliveryId: z.string() });

export const DeliveriesPublished = z.object({
  webhookId: z.string(),
  projectId: ProjectId,
  deliveries: z.array(PublishedDelivery),
});
export type DeliveriesPublished = z.infer<typeof DeliveriesPublished>;

export const BulkRetryResult = z.object({
  matched: z.int().min(0).meta({ description: 'failed webhooks the filter matched (up to limit)' }),
  retried: z.int().min(0).meta({ description: 'webhooks with at least one delivery published' }),
  deliveries: z.int().min(0).meta({ description: 'deliveries published' }),
  skipped: z.int().min(0).meta({ description: 'matched webhooks with nothing left to retry (already retried, route or targets gone)' }),
  truncated: z.boolean().meta({ description: 'true when more webhooks matched than limit' }),
});
export type BulkRetryResult = z.infer<typeof BulkRetryResult>;

export const ReadyCondition = z.object({
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
});

export const ProjectView = z.object({
  projectId: ProjectId,
  /** The WebhookRoute that owns the project: namespace/name, or local/<file>. */
  source: z.string(),
  webhookUrl: z.string(),
  targets: z.array(
    z.object({
      name: TargetName,
      url: z.string().meta({ description: 'credentials in the URL are masked' }),
      headerNames: z.array(z.string()).meta({ description: 'names of the headers added to each delivery; values are not shown' }),
    }),
  ),
  delivery: DeliveryPolicy,
  maxBodyBytes: z.int(),
  dedupeHeader: z.string().optional(),
  ready: ReadyCondition,
  counts: z.object({ total: z.int().min(0), byStatus: StatusCounts }).meta({ description: 'webhooks kept in history, by status' }),
});
export type ProjectView = z.infer<typeof ProjectView>;

/** A route document the operator refused (invalid, a taken projectId, a missing secret): nothing is routed. */
export const RefusedRoute = z.object({
  source: z.string().meta({ description: 'namespace/name, or local/<file>/<document>' }),
  projectId: ProjectId.optional(),
  ready: ReadyCondition,
});
export type RefusedRoute = z.infer<typeof RefusedRoute>;

export const ProjectList = z.object({ projects: z.array(ProjectView), refused: z.array(RefusedRoute) });

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional().meta({ description: 'for invalid_request: the zod issues' }),
  }),
});

/** Types of the answers that had none above. */
export type WebhookPage = z.infer<typeof WebhookPage>;
export type CapturedBody = z.infer<typeof CapturedBody>;
export type WebhookView = z.infer<typeof WebhookView>;
export type ReadyCondition = z.infer<typeof ReadyCondition>;
export type ProjectList = z.infer<typeof ProjectList>;
export type ErrorResponse = z.infer<typeof ErrorResponse>;

/** Named schemas, as they appear under components.schemas in /openapi.json. */
export const namedSchemas = {
  WebhookSummary,
  TargetState,
  WebhookPage,
  WebhookView,
  CapturedBody,
  WebhookDetail,
  DeliveryRecord,
  AttemptRecord,
  ReplayRequest,
  DeliveriesPublished,
  BulkRetryRequest,
  BulkRetryResult,
  ProjectView,
  RefusedRoute,
  ProjectList,
  FeedEntry,
  Error: ErrorResponse,
} as const;
