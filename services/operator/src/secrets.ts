import { readFile } from 'node:fs/promises';
import type { SecretRef, WebhookRouteSpec } from '@hookrelay/schemas';
import type { RouteStatus } from './reconcile.js';

/** Reads the value a SecretRef points at, or undefined when there is none. */
export type SecretReader = (ref: SecretRef) => Promise<string | undefined>;

/** Every secret reference of a spec, with the field it sits in. */
export function secretRefsOf(spec: WebhookRouteSpec): { field: string; ref: SecretRef }[] {
  return [
    ...(spec.verify ? [{ field: 'spec.verify.secretRef', ref: spec.verify.secretRef }] : []),
    ...(spec.signing ? [{ field: 'spec.signing.secretRef', ref: spec.signing.secretRef }] : []),
    ...(spec.signing?.previousSecretRef ? [{ field: 'spec.signing.previousSecretRef', ref: spec.signing.previousSecretRef }] : []),
    ...(spec.apiTokenSecretRef ? [{ field: 'spec.apiTokenSecretRef', ref: spec.apiTokenSecretRef }] : []),
  ];
}

export function describeSecretRef(ref: SecretRef): string {
  if (ref.env) return `environment variable ${ref.env}`;
  if (ref.file) return `file ${ref.file}`;
  return `key "${ref.key}" of Secret ${ref.name}`;
}

/** The environment variable local mode reads for a Secret name and key: HOOKRELAY_SECRET_<NAME>_<KEY>. */
export function secretEnvName(name: string, key: string): string {
  return `HOOKRELAY_SECRET_${name}_${key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** Local mode: `env`, `file`, or name/key from the environment (HOOKRELAY_SECRET_<NAME>_<KEY>). */
export function localSecretReader(env: NodeJS.ProcessEnv = process.env): SecretReader {
  return async (ref) => {
    if (ref.env) return env[ref.env] || undefined;
    if (ref.file) {
      try {
        return await readFile(ref.file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    }
    if (ref.name && ref.key) return env[secretEnvName(ref.name, ref.key)] || undefined;
    return undefined;
  };
}

/**
 * The references of `spec` that point at nothing, in words; empty when every one resolves. Values are only
 * looked at, never kept: how they reach ingest and the forwarder is a later concern (issue 6).
 */
export async function missingSecrets(spec: WebhookRouteSpec, read: SecretReader): Promise<string[]> {
  const missing: string[] = [];
  for (const { field, ref } of secretRefsOf(spec)) {
    if ((await read(ref)) === undefined) missing.push(`${field}: ${describeSecretRef(ref)} does not exist`);
  }
  return missing;
}

/** A `checkSecrets` for reconcileRoute: Ready=False, reason SecretNotFound, naming each reference that points at nothing. */
export function secretChecker(read: SecretReader) {
  return async (spec: WebhookRouteSpec): Promise<RouteStatus | undefined> => {
    const missing = await missingSecrets(spec, read);
    return missing.length > 0 ? { ready: false, reason: 'SecretNotFound', message: missing.join('; ') } : undefined;
  };
}
