import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { WebhookTarget, eventually, sleep } from '@hookrelay/test-support';
import { TestRelay, routeYaml } from '../support/relay.js';

// Secrets the test hands the operator through the environment (local mode) and a file.
const GITHUB_SECRET = "It's a Secret to Everybody";
const STRIPE_SECRET = 'whsec_stripe_' + randomBytes(12).toString('hex');
const STD_SECRET = 'whsec_' + randomBytes(24).toString('base64');
const SIGN_OLD = 'whsec_' + randomBytes(24).toString('base64');
const SIGN_NEW = 'whsec_' + randomBytes(24).toString('base64');
const SECRETS = [GITHUB_SECRET, STRIPE_SECRET, STD_SECRET, SIGN_OLD, SIGN_NEW];

describe('trust at both edges', () => {
  let relay: TestRelay;
  let sink: WebhookTarget;
  const responses: string[] = [];
  let secretDir: string;

  before(async () => {
    process.env.HOOKRELAY_TEST_GITHUB_SECRET = GITHUB_SECRET;
    process.env.HOOKRELAY_SECRET_STRIPE_SIGNING_SECRET = STRIPE_SECRET;
    process.env.HOOKRELAY_TEST_SIGN_OLD = SIGN_OLD;
    process.env.HOOKRELAY_TEST_SIGN_NEW = SIGN_NEW;
    secretDir = await mkdtemp(join(tmpdir(), 'hookrelay-secrets-'));
    await writeFile(join(secretDir, 'std'), STD_SECRET + '\n');
    sink = await WebhookTarget.start();
    relay = await TestRelay.start({ captureLogs: true });
  });
  after(async () => {
    await relay.stop();
    await sink.stop();
  });

  const send = async (projectId: string, body: string | Buffer, headers: Record<string, string>) => {
    const res = await relay.post(projectId, { body, headers });
    const text = await res.text();
    responses.push(text);
    return { status: res.status, body: text };
  };

  test('GitHub: the published example is accepted; a changed byte, a wrong signature or none is 401 and not forwarded', async () => {
    const target = await WebhookTarget.start();
    await relay.writeRoute('gh.yaml', routeYaml('gh', { targets: [{ name: 'ci', url: target.url() }], verify: { type: 'github', secretRef: { env: 'HOOKRELAY_TEST_GITHUB_SECRET' } } }));
    await relay.routeReady('gh');
    const good = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.equal((await send('gh', 'Hello, World!', { 'x-hub-signature-256': good })).status, 202);
    const refused = [
      await send('gh', 'Hello, World?', { 'x-hub-signature-256': good }),
      await send('gh', 'Hello, World!', { 'x-hub-signature-256': 'sha256=' + createHmac('sha256', 'wrong').update('Hello, World!').digest('hex') }),
      await send('gh', 'Hello, World!', {}),
    ];
    for (const r of refused) {
      assert.equal(r.status, 401);
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'signature_rejected');
    }
    await target.waitFor(1);
    await sleep(500);
    assert.equal(target.requests.length, 1, 'only the genuine webhook was forwarded');
    assert.equal(target.requests[0]!.body.toString(), 'Hello, World!');
    await target.stop();
  });

  test('Stripe: a fresh signature is accepted, a stale timestamp or another secret is not', async () => {
    await relay.writeRoute('stripe.yaml', routeYaml('stripe', { targets: [{ name: 'billing', url: sink.url() }], verify: { type: 'stripe', secretRef: { name: 'stripe', key: 'signing-secret' } } }));
    await relay.routeReady('stripe');
    const payload = JSON.stringify({ id: 'evt_1', type: 'invoice.paid' });
    const sign = (t: number, secret = STRIPE_SECRET) => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex')}`;
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await send('stripe', payload, { 'stripe-signature': sign(now) })).status, 202);
    assert.equal((await send('stripe', payload, { 'stripe-signature': sign(now - 3600) })).status, 401);
    assert.equal((await send('stripe', payload, { 'stripe-signature': sign(now, 'whsec_other') })).status, 401);
    const metrics = await (await fetch(relay.url('/metrics'))).text();
    assert.match(metrics, /hookrelay_ingest_signature_rejected_total\{project="stripe",reason="stale_timestamp"[^}]*\} 1\n/);
    assert.match(metrics, /hookrelay_ingest_signature_rejected_total\{project="stripe",reason="invalid_signature"[^}]*\} 1\n/);
  });

  test('Standard Webhooks inbound, with the secret read from a file', async () => {
    await relay.writeRoute('std.yaml', routeYaml('std', { targets: [{ name: 'main', url: sink.url() }], verify: { type: 'standard-webhooks', secretRef: { file: join(secretDir, 'std') } } }));
    await relay.routeReady('std');
    const payload = '{"type":"user.created"}';
    const now = new Date();
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(STD_SECRET).sign('msg_1', now, payload) };
    assert.equal((await send('std', payload, headers)).status, 202);
    assert.equal((await send('std', payload.replace('user', 'usr'), headers)).status, 401);
  });

  test('a missing secret makes the route not Ready (SecretNotFound), never a silent pass-through', async () => {
    await relay.writeRoute('nosecret.yaml', routeYaml('nosecret', { targets: [{ name: 'main', url: sink.url() }], verify: { type: 'github', secretRef: { env: 'HOOKRELAY_TEST_NOT_SET' } } }));
    const status = await eventually(() => relay.operator?.statuses().find((s) => s.projectId === 'nosecret'), { what: 'a status for nosecret' });
    assert.equal(status.ready, false);
    assert.equal(status.reason, 'SecretNotFound');
    assert.match(status.message, /HOOKRELAY_TEST_NOT_SET/);
    assert.equal((await send('nosecret', '{}', {})).status, 404);
  });

  test('outbound: a target verifying with the standardwebhooks package accepts every request, retries and a rotation included', async () => {
    let rejectedByVerifier = 0;
    const verified: string[] = [];
    // The target knows one secret at a time, as a real one would; it fails the first attempt of each webhook.
    let targetSecret = SIGN_OLD;
    const seen = new Set<string>();
    const target = await WebhookTarget.start((req) => {
      try {
        new Webhook(targetSecret).verify(req.body.toString(), {
          'webhook-id': String(req.headers['webhook-id']),
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        });
        verified.push(String(req.headers['webhook-id']));
      } catch {
        rejectedByVerifier++;
        return { status: 401 };
      }
      const id = String(req.headers['webhook-id']);
      if (!seen.has(id)) {
        seen.add(id);
        return { status: 503 };
      }
      return { status: 200 };
    });
    const route = (signing: Record<string, unknown>) =>
      routeYaml('signed', { targets: [{ name: 'main', url: target.url() }], signing, delivery: { backoffDelay: 'PT0.3S' } });
    await relay.writeRoute('signed.yaml', route({ secretRef: { env: 'HOOKRELAY_TEST_SIGN_OLD' } }));
    await relay.routeReady('signed');
    for (let i = 0; i < 5; i++) assert.equal((await send('signed', JSON.stringify({ i }), { 'content-type': 'application/json' })).status, 202);
    await eventually(() => target.requests.length >= 10, { what: 'two attempts of each of 5 webhooks' });

    // Rotation: sign with the new secret and the old one; the target moves to the new secret mid-run.
    await relay.writeRoute('signed.yaml', route({ secretRef: { env: 'HOOKRELAY_TEST_SIGN_NEW' }, previousSecretRef: { env: 'HOOKRELAY_TEST_SIGN_OLD' } }));
    await eventually(async () => {
      await sleep(300);
      return relay.operator?.statuses().find((s) => s.projectId === 'signed' && (s.observedGeneration ?? 0) > 1);
    }, { what: 'the rotated route' });
    await sleep(500);
    for (let i = 5; i < 8; i++) assert.equal((await send('signed', JSON.stringify({ i }), {})).status, 202);
    await eventually(() => target.requests.length >= 13, { what: 'first attempts after the rotation' });
    targetSecret = SIGN_NEW;
    for (let i = 8; i < 10; i++) assert.equal((await send('signed', JSON.stringify({ i }), {})).status, 202);
    await eventually(() => new Set(verified).size === 10 && verified.length >= 20, { what: 'every webhook verified twice (503, then 200)' });
    assert.equal(rejectedByVerifier, 0, 'no request failed verification');
    await target.stop();
  });

  test('no secret appears in any log line, metric or response', async () => {
    relay.log.info({ secret: STRIPE_SECRET }, 'a line that tries to log a secret field'); // redaction must catch it
    const metrics = await (await fetch(relay.url('/metrics'))).text();
    const haystacks = [...relay.logLines, metrics, ...responses];
    assert.ok(relay.logLines.length > 20, 'the services logged');
    for (const secret of SECRETS) {
      for (const text of haystacks) assert.ok(!text.includes(secret), `a secret leaked into: ${text.slice(0, 200)}`);
    }
  });
});
