import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryPolicy } from '@hookrelay/schemas';
import { classify, parseRetryAfter, retryDelayMs } from '../src/retry-policy.js';

const policy = (backoffPolicy: DeliveryPolicy['backoffPolicy']): DeliveryPolicy => ({
  attempts: 6,
  backoffPolicy,
  backoffDelayMs: 1000,
  backoffMaxMs: 5000,
  retryAfterMaxMs: 60_000,
  timeoutMs: 10_000,
});

test('2xx is delivered; 408, 425, 429, 5xx and no answer are transient; other 4xx and 3xx are permanent', () => {
  for (const code of [200, 201, 204, 299]) assert.equal(classify(code), 'delivered');
  for (const code of [408, 425, 429, 500, 502, 503, 504, undefined]) assert.equal(classify(code), 'transient');
  for (const code of [301, 400, 401, 403, 404, 410, 422]) assert.equal(classify(code), 'permanent');
});

test('fixed, linear and exponential delays, capped by backoffMax', () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelayMs(policy('fixed'), n)), [1000, 1000, 1000, 1000]);
  assert.deepEqual([1, 2, 3, 4, 6].map((n) => retryDelayMs(policy('linear'), n)), [1000, 2000, 3000, 4000, 5000]);
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelayMs(policy('exponential'), n)), [1000, 2000, 4000, 5000]);
});

test("a target's Retry-After replaces the backoff, up to retryAfterMax", () => {
  assert.equal(retryDelayMs(policy('fixed'), 1, 30_000), 30_000);
  assert.equal(retryDelayMs(policy('fixed'), 1, 600_000), 60_000);
  assert.equal(parseRetryAfter('120'), 120_000);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});
