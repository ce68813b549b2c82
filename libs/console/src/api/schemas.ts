import { AttemptRecord, DeliveryRecord, FeedEntry, WebhookStatus, WebhookSummary } from '@hookrelay/schemas';

/** The gateway's answers, as the console reads them: the gateway's own contract, from @hookrelay/schemas. */

export { AttemptRecord, DeliveryRecord, FeedEntry, WebhookStatus, WebhookSummary };
export type { TargetState } from '@hookrelay/schemas';
export {
  BulkRetryResult,
  CapturedBody,
  DeliveriesPublished,
  ErrorResponse,
  ProjectList,
  ProjectView,
  ReadyCondition,
  RefusedRoute,
  WebhookDetail,
  WebhookPage,
  WebhookView,
} from '@hookrelay/schemas/gateway-api';

export const WEBHOOK_STATUSES = WebhookStatus.options;
