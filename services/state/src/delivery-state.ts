import type { DeliveryStatus } from '@hookrelay/schemas';

/** What is known about a delivery's end, merged from every message about it. */
export interface DeliveryFacts {
  forwardedAt: number | null;
  dlqAt: number | null;
  failedAt: number | null;
  failedError: string | null;
  /** The highest attempt number any message named (a dlq event's is the deliveries count). */
  maxAttempt: number;
}

/** The attempt with the highest number. */
export interface LastAttempt {
  n: number;
  outcome: string;
  statusCode: number | null;
  error: string | null;
  nextAttemptAt: number | null;
}

export interface DerivedDeliveryState {
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
}

/**
 * A delivery's status, from its facts alone (so any arrival order ends the same): an end if one was
 * reported, forwarded before dlq before failed (a target that got it, got it, even if a stale copy sits in
 * the DLQ); otherwise its last attempt: `retrying` while another is scheduled, `failed` when the forwarder
 * scheduled none (its DLQ copy is on the way).
 */
export function deriveDeliveryState(facts: DeliveryFacts, last: LastAttempt | undefined): DerivedDeliveryState {
  const status: DeliveryStatus =
    facts.forwardedAt !== null ? 'forwarded'
    : facts.dlqAt !== null ? 'dlq'
    : facts.failedAt !== null ? 'failed'
    : last?.outcome === 'forwarded' ? 'forwarded'
    : last?.outcome === 'attempt' ? 'failed'
    : 'retrying';
  return {
    status,
    attempts: Math.max(facts.maxAttempt, last?.n ?? 0),
    lastStatusCode: last?.statusCode ?? null,
    lastError: status === 'failed' && facts.failedError !== null ? facts.failedError : (last?.error ?? null),
    nextAttemptAt: status === 'retrying' ? (last?.nextAttemptAt ?? null) : null,
  };
}
