import { readFile } from 'node:fs/promises';
import { apiTokenSha256, parseIsoDuration, type RouteConfig, type SecretRef, type WebhookRouteSpec } from '@hookrelay/schemas';
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

/** The parts of a route that carry resolved secrets. */
export type RouteSecrets = Pick<RouteConfig, 'verify' | 'signing' | 'apiTokenSha256'>;

/**
 * Resolves every secret reference of `spec`: the values as the route carries them (the API token only as its
 * SHA-256), and the references that point at nothing, in words.
 */
export async function resolveRouteSecrets(spec: WebhookRouteSpec, read: SecretReader): Promise<{ missing: string[]; values: RouteSecrets }> {
  const missing: string[] = [];
  const resolve = async (field: string, ref: SecretRef | undefined): Promise<string | undefined> => {
    if (!ref) return undefined;
    const value = (await read(ref))?.trim();
    if (!value) missing.push(`${field}: ${describeSecretRef(ref)} does not exist`);
    return value || undefined;
  };
  const verifySecret = await resolve('spec.verify.secretRef', spec.verify?.secretRef);
  const signing = await resolve('spec.signing.secretRef', spec.signing?.secretRef);
  const previous = await resolve('spec.signing.previousSecretRef', spec.signing?.previousSecretRef);
  const apiToken = await resolve('spec.apiTokenSecretRef', spec.apiTokenSecretRef);
  const values: RouteSecrets = {};
  if (spec.verify && verifySecret) {
    const { type, header, encoding, tolerance, recordFailures } = spec.verify;
    values.verify = { type, secret: verifySecret, header, encoding, recordFailures, toleranceMs: tolerance ? parseIsoDuration(tolerance) : undefined };
  }
  if (signing) values.signing = { secrets: previous ? [signing, previous] : [signing] };
  if (apiToken) values.apiTokenSha256 = apiTokenSha256(apiToken);
  return { missing, values };
}

/** The references of `spec` that point at nothing, in words; empty when every one resolves. */
export async function missingSecrets(spec: WebhookRouteSpec, read: SecretReader): Promise<string[]> {
  return (await resolveRouteSecrets(spec, read)).missing;
}

/** A `checkSecrets` for reconcileRoute: Ready=False, reason SecretNotFound, naming each reference that points at nothing. */
export function secretChecker(read: SecretReader) {
  return async (spec: WebhookRouteSpec): Promise<RouteStatus | undefined> => {
    const missing = await missingSecrets(spec, read);
    return missing.length > 0 ? { ready: false, reason: 'SecretNotFound', message: missing.join('; ') } : undefined;
  };
}
