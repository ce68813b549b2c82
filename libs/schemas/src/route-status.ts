import { z } from 'zod';
import { ProjectId } from './names.js';

/** KV bucket where the operator publishes the status of every route document it has read. */
export const ROUTE_STATUS_BUCKET = 'route-status';

/**
 * One route document's status, as `kubectl get whr` shows it, for tools that reach only NATS (the gateway's
 * GET /projects, the console). Key: the document's source (`namespace/name`, or `local/<file>/<n>`).
 * A refused document has no entry in `routes`; its status here says why.
 */
export const RouteStatusEntry = z.object({
  source: z.string().min(1),
  projectId: ProjectId.optional(),
  ready: z.boolean(),
  reason: z.string(),
  message: z.string(),
  observedGeneration: z.int().optional(),
  /** Epoch ms. */
  updatedAt: z.int(),
});
export type RouteStatusEntry = z.infer<typeof RouteStatusEntry>;

/** A KV key for a source: KV keys allow letters, digits and -/_=. only. */
export const routeStatusKey = (source: string): string => source.replace(/[^-/_=.a-zA-Z0-9]/g, '_');
