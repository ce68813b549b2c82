import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { RouteVerify } from '@hookrelay/schemas';

/** Why a signature was refused: a metric label and the reason the sender reads. Never names the secret. */
export type VerifyFailure = 'missing_signature' | 'malformed_signature' | 'invalid_signature' | 'stale_timestamp';

const DEFAULT_TOLERANCE_MS = 5 * 60_000;

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

function hmac(secret: string, parts: (string | Uint8Array)[], encoding: 'hex' | 'base64'): Buffer {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return Buffer.from(mac.digest(encoding), 'utf8');
}

/** Constant-time comparison of what the sender claims against what the body gives. */
function same(claimed: string, expected: Buffer): boolean {
  const a = Buffer.from(claimed, 'utf8');
  return a.length === expected.length && timingSafeEqual(a, expected);
}

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. */
function github(secret: string, headers: IncomingHttpHeaders, body: Uint8Array): VerifyFailure | undefined {
  const claimed = header(headers, 'x-hub-signature-256');
  if (!claimed) return 'missing_signature';
  if (!claimed.startsWith('sha256=')) return 'malformed_signature';
  return same(claimed.slice(7), hmac(secret, [body], 'hex')) ? undefined : 'invalid_signature';
}

/** Stripe: `Stripe-Signature: t=<unix>,v1=<hex HMAC of "t.body">[,v1=...]`, the timestamp within tolerance. */
function stripe(secret: string, headers: IncomingHttpHeaders, body: Uint8Array, toleranceMs: number, now: number): VerifyFailure | undefined {
  const claimed = header(headers, 'stripe-signature');
  if (!claimed) return 'missing_signature';
  const parts = claimed.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]);
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k, v]) => k === 'v1' && v).map(([, v]) => v as string);
  if (!t || !/^\d+$/.test(t) || signatures.length === 0) return 'malformed_signature';
  const expected = hmac(secret, [`${t}.`, body], 'hex');
  if (!signatures.some((s) => same(s, expected))) return 'invalid_signature';
  return Math.abs(now - Number(t) * 1000) > toleranceMs ? 'stale_timestamp' : undefined;
}

/** Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature), checked by the standardwebhooks package. */
function standardWebhooks(secret: string, headers: IncomingHttpHeaders, body: Uint8Array): VerifyFailure | undefined {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signature = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signature) return 'missing_signature';
  try {
    new Webhook(secret).verify(Buffer.from(body), { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature });
    return undefined;
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) return 'malformed_signature';
    return /timestamp/i.test(err.message) ? 'stale_timestamp' : 'invalid_signature';
  }
}

/** Plain HMAC-SHA256 of the raw body in a header of the route's choosing, hex or base64, `sha256=` optional. */
function plainHmac(secret: string, verify: RouteVerify, headers: IncomingHttpHeaders, body: Uint8Array): VerifyFailure | undefined {
  const claimed = header(headers, verify.header ?? 'x-signature');
  if (!claimed) return 'missing_signature';
  const value = claimed.startsWith('sha256=') ? claimed.slice(7) : claimed;
  return same(value, hmac(secret, [body], verify.encoding ?? 'hex')) ? undefined : 'invalid_signature';
}

/**
 * Checks an inbound webhook's signature over the exact bytes received. Returns why it fails, or undefined when
 * it is genuine.
 */
export function verifySignature(verify: RouteVerify, headers: IncomingHttpHeaders, body: Uint8Array, now = Date.now()): VerifyFailure | undefined {
  const toleranceMs = verify.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  switch (verify.type) {
    case 'github':
      return github(verify.secret, headers, body);
    case 'stripe':
      return stripe(verify.secret, headers, body, toleranceMs, now);
    case 'standard-webhooks':
      return standardWebhooks(verify.secret, headers, body);
    case 'hmac-sha256':
      return plainHmac(verify.secret, verify, headers, body);
  }
}
