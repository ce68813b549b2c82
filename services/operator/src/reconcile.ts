import type { z } from 'zod';
import {
  DEFAULT_MAX_BODY_BYTES,
  RouteConfig,
  WebhookRouteDocument,
  deliveryPolicyOf,
  type WebhookRouteSpec,
} from '@hookrelay/schemas';
import { RouteChangedConcurrentlyError, type RouteStore, type StoredRoute } from './route-store.js';
import { resolveRouteSecrets, type SecretReader } from './secrets.js';

/** Why a route is, or is not, Ready: the `reason` of its Ready condition. */
export type RouteReason = 'Reconciled' | 'InvalidYaml' | 'InvalidSpec' | 'SecretNotFound' | 'ProjectIdConflict' | 'ReconcileFailed';

/** The state of one WebhookRoute, in the words its Ready condition uses. */
export interface RouteStatus {
  ready: boolean;
  reason: RouteReason;
  message: string;
  /** Known once the spec parses. */
  projectId?: string;
  webhookUrl?: string;
  /** The generation the KV entry was written from. */
  observedGeneration?: number;
}

export interface ReconcileContext {
  store: RouteStore;
  /** The object that owns the route: `namespace/name` in Kubernetes, `local/<file>` in local mode. */
  source: string;
  /** HOOKRELAY_PUBLIC_URL: the base of each route's webhookUrl. */
  publicUrl: string;
  /**
   * metadata.generation in Kubernetes. Undefined in local mode, where a file has none: the stored
   * generation is then bumped each time the route changes.
   */
  generation?: number;
  /** Checks the spec's secret references; a status when one does not resolve (nothing is then written). */
  checkSecrets?: (spec: WebhookRouteSpec) => Promise<RouteStatus | undefined>;
  /** Reads secret references; their values go into the route (verify, signing, API token digest). */
  readSecret?: SecretReader;
}

export type RouteValidation = { ok: true; route: RouteConfig; spec: WebhookRouteSpec } | { ok: false; status: RouteStatus };

/** `spec.targets[0].url: must be an http:// or https:// URL; ...`: zod issues in words a person can act on. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
        '',
      );
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

export function webhookUrlOf(publicUrl: string, projectId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/hooks/${projectId}`;
}

/** Validates a WebhookRoute document and computes its RouteConfig; does no I/O. */
export function validateRoute(document: unknown, context: Pick<ReconcileContext, 'source' | 'publicUrl' | 'generation'>): RouteValidation {
  const parsed = WebhookRouteDocument.safeParse(document);
  if (!parsed.success) {
    return { ok: false, status: { ready: false, reason: 'InvalidSpec', message: describeIssues(parsed.error.issues) } };
  }
  const { metadata, spec } = parsed.data;
  const projectId = spec.projectId ?? metadata.name;
  const route = RouteConfig.safeParse({
    projectId,
    source: context.source,
    generation: context.generation ?? 0,
    targets: spec.targets,
    delivery: deliveryPolicyOf(spec),
    maxBodyBytes: spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    dedupeHeader: spec.dedupeHeader,
    webhookUrl: webhookUrlOf(context.publicUrl, projectId),
  });
  if (!route.success) {
    // metadata.name may hold a '.', which a projectId may not: say so in the terms of the spec.
    const message = describeIssues(route.error.issues.map((i) => (i.path[0] === 'projectId' ? { ...i, path: ['metadata', 'name'] } : i)));
    return {
      ok: false,
      status: { ready: false, reason: 'InvalidSpec', message: `${message} (set spec.projectId, or rename the route)` },
    };
  }
  return { ok: true, route: route.data, spec };
}

export function conflictStatus(projectId: string, owner: string): RouteStatus {
  return { ready: false, reason: 'ProjectIdConflict', projectId, message: `project ${projectId} is already routed by ${owner}` };
}

export function failedStatus(err: unknown, projectId?: string): RouteStatus {
  const message = `could not write the route yet, retrying: ${err instanceof Error ? err.message : String(err)}`;
  return { ready: false, reason: 'ReconcileFailed', message, ...(projectId ? { projectId } : {}) };
}

function withoutGeneration(route: RouteConfig): Omit<RouteConfig, 'generation'> {
  const { generation: _generation, ...rest } = route;
  return rest;
}

function generationToWrite(route: RouteConfig, stored: StoredRoute | undefined, given: number | undefined): number {
  if (given !== undefined) return given;
  if (!stored?.route) return 1;
  const unchanged = JSON.stringify(withoutGeneration(stored.route)) === JSON.stringify(withoutGeneration(route));
  return unchanged ? stored.route.generation : stored.route.generation + 1;
}

const CONCURRENT_CHANGE_RETRIES = 3;

/**
 * Brings NATS in line with one WebhookRoute document: validates it, refuses a projectId another source
 * holds, creates or updates the route's consumer, then writes its KV entry (in that order, so a route that
 * ingest can see always has a consumer). Returns the status to report. Throws when NATS fails; the caller
 * retries.
 */
export async function reconcileRoute(document: unknown, context: ReconcileContext): Promise<RouteStatus> {
  const validation = validateRoute(document, context);
  if (!validation.ok) return validation.status;
  const secretProblem = await context.checkSecrets?.(validation.spec);
  if (secretProblem) return { ...secretProblem, projectId: validation.route.projectId };
  if (context.readSecret) {
    const { missing, values } = await resolveRouteSecrets(validation.spec, context.readSecret);
    if (missing.length > 0) return { ready: false, reason: 'SecretNotFound', message: missing.join('; '), projectId: validation.route.projectId };
    Object.assign(validation.route, values);
  }
  for (let attempt = 1; ; attempt++) {
    const stored = await context.store.get(validation.route.projectId);
    if (stored && stored.owner !== context.source) return conflictStatus(validation.route.projectId, stored.owner);
    const route = { ...validation.route, generation: generationToWrite(validation.route, stored, context.generation) };
    try {
      await context.store.ensureConsumer(route);
      await context.store.put(route, stored);
      return {
        ready: true,
        reason: 'Reconciled',
        projectId: route.projectId,
        webhookUrl: route.webhookUrl,
        observedGeneration: route.generation,
        message: `project ${route.projectId} forwards to ${route.targets.map((t) => t.name).join(', ')} (${route.delivery.attempts} attempts)`,
      };
    } catch (err) {
      if (!(err instanceof RouteChangedConcurrentlyError) || attempt >= CONCURRENT_CHANGE_RETRIES) throw err;
    }
  }
}

/**
 * Removes every route `source` owns except those in `keep`: a deleted object or file, a document taken out
 * of a file, or a projectId changed. Returns the projectIds removed.
 */
export async function releaseRoutes(store: RouteStore, source: string, keep: ReadonlySet<string> = new Set()): Promise<string[]> {
  const removed: string[] = [];
  for (const projectId of store.projectIdsOf(source)) {
    if (keep.has(projectId)) continue;
    if (await store.remove(projectId, source)) removed.push(projectId);
  }
  return removed;
}
