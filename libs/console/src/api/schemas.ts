import { z } from 'zod';
import {
  AttemptRecord,
  DeliveryPolicy,
  DeliveryRecord,
  FeedEntry,
  ListWebhooksResponse,
  ProjectId,
  StatusCounts,
  TargetName,
  WebhookStatus,
  WebhookSummary,
} from '@hookrelay/schemas';

/**
 * The gateway's answers, as the console reads them. The shared pieces come from @hookrelay/schemas; the
 * envelopes below mirror services/gateway/src/api-schemas.ts (a service's module, which a lib must not
 * import), and test/schemas.test.ts fails when the two drift apart.
 */

export { AttemptRecord, DeliveryRecord, FeedEntry, WebhookStatus, WebhookSummary };
export type { TargetState } from '@hookrelay/schemas';

export const WebhookPage = ListWebhooksResponse;
export type WebhookPage = z.infer<typeof WebhookPage>;

export const CapturedBody = z.object({
  encoding: z.enum(['utf8', 'base64']),
  data: z.string(),
});
export type CapturedBody = z.infer<typeof CapturedBody>;

export const WebhookView = WebhookSummary.extend({
  headers: z.array(z.tuple([z.string(), z.string()])),
  body: CapturedBody.optional(),
  bodyOmitted: z.enum(['not_captured', 'too_large']).optional(),
});
export type WebhookView = z.infer<typeof WebhookView>;

export const WebhookDetail = z.object({
  webhook: WebhookView,
  deliveries: z.array(DeliveryRecord),
  attempts: z.array(AttemptRecord),
});
export type WebhookDetail = z.infer<typeof WebhookDetail>;

export const DeliveriesPublished = z.object({
  webhookId: z.string(),
  projectId: ProjectId,
  deliveries: z.array(z.object({ target: TargetName, deliveryId: z.string() })),
});
export type DeliveriesPublished = z.infer<typeof DeliveriesPublished>;

export const BulkRetryResult = z.object({
  matched: z.int().min(0),
  retried: z.int().min(0),
  deliveries: z.int().min(0),
  skipped: z.int().min(0),
  truncated: z.boolean(),
});
export type BulkRetryResult = z.infer<typeof BulkRetryResult>;

export const ReadyCondition = z.object({
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
});

export const ProjectView = z.object({
  projectId: ProjectId,
  source: z.string(),
  webhookUrl: z.string(),
  targets: z.array(z.object({ name: TargetName, url: z.string(), headerNames: z.array(z.string()) })),
  delivery: DeliveryPolicy,
  maxBodyBytes: z.int(),
  dedupeHeader: z.string().optional(),
  ready: ReadyCondition,
  counts: z.object({ total: z.int().min(0), byStatus: StatusCounts }),
});
export type ProjectView = z.infer<typeof ProjectView>;

/** A route document the operator refused: nothing is routed for it; its condition says why. */
export const RefusedRoute = z.object({
  source: z.string(),
  projectId: ProjectId.optional(),
  ready: ReadyCondition,
});
export type RefusedRoute = z.infer<typeof RefusedRoute>;

export const ProjectList = z.object({ projects: z.array(ProjectView), refused: z.array(RefusedRoute) });
export type ProjectList = z.infer<typeof ProjectList>;

export const ErrorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const WEBHOOK_STATUSES = WebhookStatus.options;
