import { z } from 'zod';
import { HeaderName, ProjectId, TargetName } from './names.js';
import { IsoDuration, parseIsoDuration } from './duration.js';
import { RouteApiToken } from './api-token.js';

/**
 * A reference to a secret. In Kubernetes: a Secret in the route's namespace (name + key). In local mode the
 * same name/key is read from the environment (HOOKRELAY_SECRET_<NAME>_<KEY>), or `env`/`file` name one directly.
 */
export const SecretRef = z
  .object({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name').optional(),
    key: z.string().min(1).max(253).regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret key').optional(),
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name').optional(),
    file: z.string().min(1).max(1024).optional(),
  })
  .strict()
  .refine((r) => (r.name !== undefined && r.key !== undefined) || r.env !== undefined || r.file !== undefined, {
    message: 'needs name and key (a Secret), or env, or file',
  });
export type SecretRef = z.infer<typeof SecretRef>;

export const TargetSpec = z
  .object({
    name: TargetName,
    url: z
      .string()
      .max(2048)
      .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http:// or https:// URL'),
    headers: z.record(HeaderName, z.string().max(4096)).optional(),
  })
  .strict();
export type TargetSpec = z.infer<typeof TargetSpec>;

export const BackoffPolicy = z.enum(['fixed', 'linear', 'exponential']);
export type BackoffPolicy = z.infer<typeof BackoffPolicy>;

export const DeliverySpec = z
  .object({
    retry: z.int().min(0).max(100).default(2),
    backoffPolicy: BackoffPolicy.default('fixed'),
    backoffDelay: IsoDuration.default('PT2S'),
    backoffMax: IsoDuration.default('PT1H'),
    retryAfterMax: IsoDuration.default('PT10M'),
    timeout: IsoDuration.default('PT10S'),
  })
  .strict();

export const VerifyType = z.enum(['github', 'stripe', 'standard-webhooks', 'hmac-sha256']);

export const VerifySpec = z
  .object({
    type: VerifyType,
    secretRef: SecretRef,
    header: HeaderName.optional(),
    encoding: z.enum(['hex', 'base64']).optional(),
    tolerance: IsoDuration.optional(),
    recordFailures: z.boolean().optional(),
  })
  .strict();

export const SigningSpec = z
  .object({
    secretRef: SecretRef,
    previousSecretRef: SecretRef.optional(),
  })
  .strict();

export const MAX_TARGETS = 16;
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

export const WebhookRouteSpec = z
  .object({
    projectId: ProjectId.optional(),
    targets: z.array(TargetSpec).min(1).max(MAX_TARGETS),
    delivery: DeliverySpec.optional(),
    verify: VerifySpec.optional(),
    signing: SigningSpec.optional(),
    dedupeHeader: HeaderName.optional(),
    maxBodyBytes: z.int().min(1).max(64 * 1_048_576).optional(),
    apiTokenSecretRef: SecretRef.optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.targets.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `duplicate target name "${t.name}"` });
      seen.add(t.name);
    });
  });
export type WebhookRouteSpec = z.infer<typeof WebhookRouteSpec>;

export const API_GROUP = 'hookrelay.dev';
export const API_VERSION = 'v1alpha1';

/** A `WebhookRoute` document, as `kubectl apply` takes it and as the local routes folder holds it. */
export const WebhookRouteDocument = z.object({
  apiVersion: z.literal(`${API_GROUP}/${API_VERSION}`),
  kind: z.literal('WebhookRoute'),
  metadata: z
    .object({
      name: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name'),
      namespace: z.string().max(63).optional(),
      generation: z.number().optional(),
      resourceVersion: z.string().optional(),
      uid: z.string().optional(),
    })
    .loose(),
  spec: WebhookRouteSpec,
});
export type WebhookRouteDocument = z.infer<typeof WebhookRouteDocument>;

/** Delivery policy in milliseconds: what the forwarder and the route's consumer use. */
export const DeliveryPolicy = z.object({
  attempts: z.int().min(1),
  backoffPolicy: BackoffPolicy,
  backoffDelayMs: z.int().min(0),
  backoffMaxMs: z.int().min(0),
  retryAfterMaxMs: z.int().min(0),
  timeoutMs: z.int().min(1),
});
export type DeliveryPolicy = z.infer<typeof DeliveryPolicy>;

/**
 * Inbound verification with its secret resolved. Secrets travel in KV so ingest and the forwarder need no
 * access to Kubernetes Secrets; they are never logged, exported as metrics or returned by the API.
 */
export const RouteVerify = z.object({
  type: VerifyType,
  secret: z.string().min(1),
  header: HeaderName.optional(),
  encoding: z.enum(['hex', 'base64']).optional(),
  toleranceMs: z.int().min(0).optional(),
  recordFailures: z.boolean().optional(),
});
export type RouteVerify = z.infer<typeof RouteVerify>;

/** Outbound Standard Webhooks signing: the current secret first, the previous one during a rotation. */
export const RouteSigning = z.object({
  secrets: z.array(z.string().min(1)).min(1).max(2),
});
export type RouteSigning = z.infer<typeof RouteSigning>;

/** A route as every service reads it from the KV bucket `routes` (key = projectId). Written by the operator. */
export const RouteConfig = z.object({
  projectId: ProjectId,
  /** The object that owns the project: `namespace/name` in Kubernetes, `local/<file>` in local mode. */
  source: z.string(),
  generation: z.int().min(0),
  targets: z.array(TargetSpec).min(1),
  delivery: DeliveryPolicy,
  maxBodyBytes: z.int().min(1),
  dedupeHeader: HeaderName.optional(),
  webhookUrl: z.string(),
  verify: RouteVerify.optional(),
  signing: RouteSigning.optional(),
  ...RouteApiToken.shape,
});
export type RouteConfig = z.infer<typeof RouteConfig>;

export function deliveryPolicyOf(spec: WebhookRouteSpec): DeliveryPolicy {
  const d = DeliverySpec.parse(spec.delivery ?? {});
  const ms = (v: string): number => parseIsoDuration(v) ?? 0;
  return {
    attempts: d.retry + 1,
    backoffPolicy: d.backoffPolicy,
    backoffDelayMs: ms(d.backoffDelay),
    backoffMaxMs: ms(d.backoffMax),
    retryAfterMaxMs: ms(d.retryAfterMax),
    timeoutMs: Math.max(1, ms(d.timeout)),
  };
}
