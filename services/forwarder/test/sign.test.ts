import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { standardWebhookSignature } from '../src/sign.js';

test("the Standard Webhooks specification's example signature", () => {
  const signature = standardWebhookSignature(
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    'msg_p5jXN8AQM9LWM0D4loKWxJek',
    1614265330,
    Buffer.from('{"test": 2432232314}'),
  );
  assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
});

test('two secrets during a rotation: a verifier knowing either one accepts', () => {
  const current = 'whsec_' + Buffer.from('current-key-0123456789').toString('base64');
  const previous = 'whsec_' + Buffer.from('previous-key-0123456789').toString('base64');
  const ts = Math.floor(Date.now() / 1000);
  const payload = '{"hello":"world"}';
  const signature = standardWebhookSignature([current, previous], 'wh-1', ts, Buffer.from(payload));
  assert.equal(signature.split(' ').length, 2);
  const headers = { 'webhook-id': 'wh-1', 'webhook-timestamp': String(ts), 'webhook-signature': signature };
  for (const secret of [current, previous]) assert.deepEqual(new Webhook(secret).verify(payload, headers), { hello: 'world' });
  const other = 'whsec_' + Buffer.from('another-key').toString('base64');
  assert.throws(() => new Webhook(other).verify(payload, headers));
});
