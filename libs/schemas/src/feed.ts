import { z } from 'zod';
import { ProjectId, TargetName } from './names.js';
import { DeliveryStatus, WebhookStatus } from './webhook-status.js';

/**
 * One target of a webhook as the history shows it: the target's current delivery (the latest dispatch or
 * replay to it), so a successful replay clears an earlier failure.
 */
export const TargetState = z.object({
  target: TargetName,
  status: DeliveryStatus,
  /** Attempts made by the current delivery. */
  attempts: z.int().min(0),
  lastStatusCode: z.int().optional(),
  /** The last error's message (first line; the stack is in the webhook's attempts). */
  lastError: z.string().optional(),
  /** Epoch ms of the next attempt, while `retrying`. */
  nextAttemptAt: z.int().optional(),
});
export type TargetState = z.infer<typeof TargetState>;

/**
 * A message on FEED (`feed.<project>`), published by state after each commit, one per changed webhook:
 * what the live feed shows. The FEED stream sequence is the SSE event id.
 */
export const FeedEntry = z.object({
  id: z.string(),
  projectId: ProjectId,
  method: z.string(),
  path: z.string(),
  /** Epoch ms. */
  receivedAt: z.int(),
  status: WebhookStatus,
  /** Sorted by target name. */
  targets: z.array(TargetState),
});
export type FeedEntry = z.infer<typeof FeedEntry>;
