import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { RouteVerify } from '@hookrelay/schemas';
import { verifySignature } from '../src/verify-signature.js';

const body = (s: string) => Buffer.from(s);

test("GitHub's published example: secret \"It's a Secret to Everybody\", payload \"Hello, World!\"", () => {
  const verify: RouteVerify = { type: 'github', secret: "It's a Secret to Everybody" };
  const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
  assert.equal(verifySignature(verify, { 'x-hub-signature-256': signature }, body('Hello, World!')), undefined);
  assert.equal(verifySignature(verify, { 'x-hub-signature-256': signature }, body('Hello, World?')), 'invalid_signature');
  assert.equal(verifySignature({ ...verify, secret: 'wrong' }, { 'x-hub-signature-256': signature }, body('Hello, World!')), 'invalid_signature');
  assert.equal(verifySignature(verify, {}, body('Hello, World!')), 'missing_signature');
  assert.equal(verifySignature(verify, { 'x-hub-signature-256': 'md5=abc' }, body('x')), 'malformed_signature');
});

test('Stripe: t and v1 over "t.body", any of several v1, within the tolerance', () => {
  const secret = 'whsec_test_secret';
  const now = 1_700_000_000_000;
  const t = Math.floor(now / 1000);
  const payload = '{"id":"evt_1","object":"event"}';
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
  const verify: RouteVerify = { type: 'stripe', secret };
  assert.equal(verifySignature(verify, { 'stripe-signature': `t=${t},v1=${v1},v0=ignored` }, body(payload), now), undefined);
  assert.equal(verifySignature(verify, { 'stripe-signature': `t=${t},v1=deadbeef,v1=${v1}` }, body(payload), now), undefined);
  assert.equal(verifySignature(verify, { 'stripe-signature': `t=${t},v1=${v1}` }, body(payload + ' '), now), 'invalid_signature');
  assert.equal(verifySignature(verify, { 'stripe-signature': `t=${t},v1=${v1}` }, body(payload), now + 6 * 60_000), 'stale_timestamp');
  assert.equal(verifySignature({ ...verify, toleranceMs: 10 * 60_000 }, { 'stripe-signature': `t=${t},v1=${v1}` }, body(payload), now + 6 * 60_000), undefined);
  assert.equal(verifySignature(verify, { 'stripe-signature': `v1=${v1}` }, body(payload), now), 'malformed_signature');
});

test('Standard Webhooks, signed by the standardwebhooks package', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const payload = '{"test": 2432232314}';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const now = new Date();
  const signature = new Webhook(secret).sign(id, now, payload);
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signature };
  const verify: RouteVerify = { type: 'standard-webhooks', secret };
  assert.equal(verifySignature(verify, headers, body(payload)), undefined);
  assert.equal(verifySignature(verify, headers, body('{"test": 2432232315}')), 'invalid_signature');
  assert.equal(verifySignature(verify, { ...headers, 'webhook-timestamp': '1614265330' }, body(payload)), 'stale_timestamp');
  assert.equal(verifySignature(verify, { 'webhook-id': id }, body(payload)), 'missing_signature');
});

test('plain HMAC-SHA256 in a chosen header, hex or base64', () => {
  const secret = 's3cr3t';
  const payload = Buffer.from([0, 1, 2, 250, 251, 252]);
  const hex = createHmac('sha256', secret).update(payload).digest('hex');
  const b64 = createHmac('sha256', secret).update(payload).digest('base64');
  assert.equal(verifySignature({ type: 'hmac-sha256', secret }, { 'x-signature': hex }, payload), undefined);
  assert.equal(verifySignature({ type: 'hmac-sha256', secret }, { 'x-signature': `sha256=${hex}` }, payload), undefined);
  assert.equal(verifySignature({ type: 'hmac-sha256', secret, header: 'X-Sig', encoding: 'base64' }, { 'x-sig': b64 }, payload), undefined);
  assert.equal(verifySignature({ type: 'hmac-sha256', secret, header: 'X-Sig', encoding: 'base64' }, { 'x-sig': hex }, payload), 'invalid_signature');
});
