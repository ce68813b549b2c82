import { z } from 'zod';
import type { RouteStatus } from './reconcile.js';

/** metav1.Condition, with the bounds the Kubernetes API gives it. */
export const Condition = z.object({
  type: z.string().max(316).regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.int().min(0).optional(),
  lastTransitionTime: z.iso.datetime({ offset: true }),
  reason: z.string().min(1).max(1024).regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof Condition>;

/** `.status` of a WebhookRoute, written by the operator. */
export const WebhookRouteStatus = z.object({
  observedGeneration: z.int().min(0).optional(),
  /** The project the route serves (spec.projectId, or metadata.name): what `kubectl get whr` shows. */
  projectId: z.string().max(63).optional(),
  webhookUrl: z.string().max(2048).optional(),
  conditions: z.array(Condition).max(8).optional(),
});
export type WebhookRouteStatus = z.infer<typeof WebhookRouteStatus>;

const MAX_CONDITION_MESSAGE = 32768;

/**
 * The `.status` to write for a reconcile result. lastTransitionTime moves only when Ready's status flips,
 * as metav1.Condition asks; observedGeneration is the generation that was looked at.
 */
export function routeStatusFor(result: RouteStatus, generation: number, previous: WebhookRouteStatus | undefined, now: Date): WebhookRouteStatus {
  const before = previous?.conditions?.find((c) => c.type === 'Ready');
  const status = result.ready ? 'True' : 'False';
  const ready: Condition = {
    type: 'Ready',
    status,
    observedGeneration: generation,
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now.toISOString(),
    reason: result.reason,
    message: result.message.slice(0, MAX_CONDITION_MESSAGE),
  };
  // An invalid edit leaves the last valid version routing (reconcileRoute changes nothing): keep showing it.
  const stillRouting = !result.ready && result.reason !== 'ProjectIdConflict';
  const projectId = result.projectId ?? (stillRouting ? previous?.projectId : undefined);
  const webhookUrl = result.webhookUrl ?? (stillRouting ? previous?.webhookUrl : undefined);
  return {
    observedGeneration: generation,
    ...(projectId ? { projectId } : {}),
    ...(webhookUrl ? { webhookUrl } : {}),
    conditions: [...(previous?.conditions ?? []).filter((c) => c.type !== 'Ready'), ready],
  };
}
