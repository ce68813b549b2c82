import type { DeliveryPolicy } from '@hookrelay/schemas';

export type AttemptOutcome = 'delivered' | 'transient' | 'permanent';

/** 2xx delivered; 408, 425, 429, 5xx, timeouts and connection errors are worth retrying; anything else is not. */
export function classify(statusCode: number | undefined): AttemptOutcome {
  if (statusCode === undefined) return 'transient';
  if (statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode === 408 || statusCode === 425 || statusCode === 429 || statusCode >= 500) return 'transient';
  return 'permanent';
}

/**
 * The wait before the next attempt, after `attempt` (1-based) failed: fixed d; linear d*n; exponential d*2^(n-1),
 * n being the retry about to happen, so the first retry always waits d. Capped by backoffMax. A target's
 * Retry-After replaces it, capped by retryAfterMax.
 */
export function retryDelayMs(policy: DeliveryPolicy, attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.retryAfterMaxMs);
  const d = policy.backoffDelayMs;
  const delay =
    policy.backoffPolicy === 'fixed' ? d : policy.backoffPolicy === 'linear' ? d * attempt : d * 2 ** (attempt - 1);
  return Math.min(delay, policy.backoffMaxMs);
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
