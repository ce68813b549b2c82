import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * A project's read token (a route's `apiTokenSecretRef`), as the operator hands it to the gateway: the
 * SHA-256 of the token, hex, never the token itself, because every service reads the KV bucket `routes`.
 * The operator resolves the secret and writes `apiTokenSha256` beside the route (RouteConfig gains
 * `...RouteApiToken.shape`); the gateway hashes what a caller presents and compares in constant time.
 */
export const ApiTokenSha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be the hex SHA-256 of the token');

export const RouteApiToken = z.object({
  apiTokenSha256: ApiTokenSha256.optional(),
});
export type RouteApiToken = z.infer<typeof RouteApiToken>;

/** The digest written as `apiTokenSha256` for a token. */
export function apiTokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
