import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Headers } from '@hookrelay/schemas';
import { WebhookTarget, eventually, sleep } from '@hookrelay/test-support';
import { TestRelay, routeYaml } from '../support/relay.js';

describe('capture and forward', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await TestRelay.start();
  });
  after(async () => {
    await relay.stop();
  });

  async function route(projectId: string, targets: { name: string; url: string }[], extra: Record<string, unknown> = {}) {
    await relay.writeRoute(`${projectId}.yaml`, routeYaml(projectId, { targets, ...extra }));
    await relay.routeReady(projectId);
  }

  test('500 webhooks of mixed methods, content types and binary bodies arrive byte for byte, each once', async () => {
    const target = await WebhookTarget.start();
    await route('mixed', [{ name: 'main', url: target.url('/base') }]);
    const methods = ['POST', 'PUT', 'PATCH', 'DELETE', 'POST'];
    const kinds = [
      () => ({ type: 'application/json', body: Buffer.from(JSON.stringify({ n: Math.random(), text: 'héllo ✓' })) }),
      () => ({ type: 'application/octet-stream', body: randomBytes(1 + Math.floor(Math.random() * 4096)) }),
      () => ({ type: 'application/x-www-form-urlencoded', body: Buffer.from('a=1&b=%20two') }),
      () => ({ type: 'text/plain; charset=utf-8', body: Buffer.from('line one\r\nline two\n\0binary-ish') }),
    ];
    const sent = new Map<string, { method: string; type: string; body: Buffer; path: string }>();
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const i = batch * 50 + j;
          const { type, body } = kinds[i % kinds.length]!();
          const method = methods[i % methods.length]!;
          const path = `/sub/${i}?q=${i}&x=a%2Fb`;
          const res = await relay.post('mixed', { method, body, path, headers: { 'content-type': type, 'x-seq': String(i) } });
          assert.equal(res.status, 202);
          const { id } = (await res.json()) as { id: string };
          sent.set(id, { method, type, body, path });
          ids.push(id);
        }),
      );
    }
    assert.equal(new Set(ids).size, 500, 'every webhook has its own id');
    await target.waitFor(500);
    await sleep(500); // anything doubled would arrive now
    assert.equal(target.requests.length, 500, 'each delivered exactly once');
    for (const req of target.requests) {
      const webhookId = req.headers['webhook-id'] as string;
      const original = sent.get(webhookId);
      assert.ok(original, `unknown webhook-id ${webhookId}`);
      assert.equal(req.method, original.method);
      assert.equal(req.headers['content-type'], original.type);
      assert.equal(req.url, `/base${original.path}`);
      assert.ok(req.body.equals(original.body), `body of ${webhookId} changed`);
      assert.equal(req.headers['x-hookrelay-attempt'], '1');
      assert.match(String(req.headers['webhook-timestamp']), /^\d{10}$/);
    }
    await target.stop();
  });

  test('a target answering 503 twice then 200 gets it on the third attempt, about 2 s apart', async () => {
    const target = await WebhookTarget.start((_req, i) => ({ status: i < 2 ? 503 : 200 }));
    await route('flaky', [{ name: 'main', url: target.url() }]);
    const res = await relay.post('flaky', { body: '{"ok":true}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 202);
    await target.waitFor(3, 15_000);
    await sleep(2500);
    assert.equal(target.requests.length, 3, 'no attempt after the success');
    assert.deepEqual(target.requests.map((r) => r.headers['x-hookrelay-attempt']), ['1', '2', '3']);
    const gaps = target.requests.slice(1).map((r, i) => r.at - target.requests[i]!.at);
    for (const gap of gaps) assert.ok(gap >= 1800 && gap < 5000, `attempts should be about 2 s apart, saw ${gaps.join(', ')} ms`);
    assert.equal((await relay.deadLetters()).filter((m) => m.subject.startsWith('dlq.flaky.')).length, 0);
    await target.stop();
  });

  test('a target always answering 500 gets exactly 3 attempts, then one DLQ entry with the original request', async () => {
    const target = await WebhookTarget.start(() => ({ status: 500, body: 'boom' }));
    await route('broken', [{ name: 'main', url: target.url() }], { delivery: { backoffDelay: 'PT0.5S' } });
    const body = randomBytes(300);
    const res = await relay.post('broken', { body, headers: { 'content-type': 'application/octet-stream', 'x-custom': 'kept' } });
    const { id } = (await res.json()) as { id: string };
    const dlq = await eventually(async () => {
      const entries = (await relay.deadLetters()).filter((m) => m.subject.startsWith('dlq.broken.main.'));
      return entries.length > 0 && entries;
    });
    await sleep(1500);
    assert.equal(target.requests.length, 3, 'exactly three attempts');
    const entries = (await relay.deadLetters()).filter((m) => m.subject.startsWith('dlq.broken.'));
    assert.equal(entries.length, 1, 'one DLQ entry');
    const entry = dlq[0]!;
    assert.ok(Buffer.from(entry.data).equals(body), 'DLQ keeps the body');
    const meta = JSON.parse(entry.header.get(Headers.webhook)) as { id: string; headers: [string, string][] };
    assert.equal(meta.id, id);
    assert.ok(meta.headers.some(([k, v]) => k.toLowerCase() === 'x-custom' && v === 'kept'), 'DLQ keeps the headers');
    assert.equal(entry.header.get(Headers.dlqReason), 'max_deliveries');
    assert.equal(entry.header.get(Headers.dlqDeliveries), '3');
    await target.stop();
  });

  test('a target answering 404 gets one attempt and the webhook goes to DLQ at once', async () => {
    const target = await WebhookTarget.start(() => ({ status: 404 }));
    await route('gone', [{ name: 'main', url: target.url() }]);
    await relay.post('gone', { body: 'x' });
    await eventually(async () => (await relay.deadLetters()).some((m) => m.subject.startsWith('dlq.gone.main.')));
    await sleep(2500);
    assert.equal(target.requests.length, 1);
    const entries = (await relay.deadLetters()).filter((m) => m.subject.startsWith('dlq.gone.'));
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.header.get(Headers.dlqReason), 'terminated');
    await target.stop();
  });

  test('with two targets, the healthy one is delivered once and only the failing one is retried', async () => {
    const healthy = await WebhookTarget.start();
    const failing = await WebhookTarget.start(() => ({ status: 502 }));
    await route('pair', [
      { name: 'healthy', url: healthy.url() },
      { name: 'failing', url: failing.url() },
    ], { delivery: { backoffDelay: 'PT0.3S' } });
    await relay.post('pair', { body: 'both' });
    await eventually(async () => (await relay.deadLetters()).some((m) => m.subject.startsWith('dlq.pair.failing.')));
    await sleep(1000);
    assert.equal(healthy.requests.length, 1);
    assert.equal(failing.requests.length, 3);
    assert.equal((await relay.deadLetters()).filter((m) => m.subject.startsWith('dlq.pair.healthy.')).length, 0);
    await Promise.all([healthy.stop(), failing.stop()]);
  });

  test("a provider's redelivery (same dedupeHeader value) is answered with the original id and forwarded once", async () => {
    const target = await WebhookTarget.start();
    await route('gh', [{ name: 'main', url: target.url() }], { dedupeHeader: 'X-GitHub-Delivery' });
    const send = () => relay.post('gh', { body: '{"action":"opened"}', headers: { 'x-github-delivery': 'abc-123' } });
    const first = (await (await send()).json()) as { id: string };
    const again = await Promise.all([send(), send()]);
    for (const res of again) {
      assert.equal(res.status, 202);
      assert.equal(((await res.json()) as { id: string }).id, first.id);
    }
    const other = (await (await relay.post('gh', { body: '{}', headers: { 'x-github-delivery': 'def-456' } })).json()) as { id: string };
    assert.notEqual(other.id, first.id);
    await target.waitFor(2);
    await sleep(1000);
    assert.equal(target.requests.length, 2);
    await target.stop();
  });

  test('Retry-After from a target is honoured', async () => {
    const target = await WebhookTarget.start((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    await route('polite', [{ name: 'main', url: target.url() }], { delivery: { backoffDelay: 'PT30S' } });
    await relay.post('polite', { body: 'x' });
    await target.waitFor(2, 10_000);
    const gap = target.requests[1]!.at - target.requests[0]!.at;
    assert.ok(gap >= 900 && gap < 5000, `second attempt after Retry-After (1 s), not the 30 s backoff: ${gap} ms`);
    await target.stop();
  });

  test('a timeout or a refused connection counts as transient: retried, then parked with the error recorded', async () => {
    const slow = await WebhookTarget.start((_r, i) => (i === 0 ? { status: 200, delayMs: 2000 } : { status: 200 }));
    await route('slow', [{ name: 'main', url: slow.url() }], { delivery: { timeout: 'PT0.5S', backoffDelay: 'PT0.2S' } });
    await relay.post('slow', { body: 'patience' });
    await slow.waitFor(2, 10_000);
    assert.deepEqual(slow.requests.map((r) => r.headers['x-hookrelay-attempt']), ['1', '2']);
    await slow.stop();

    const closed = await WebhookTarget.start();
    const url = closed.url();
    await closed.stop(); // nothing listens there any more
    await route('refused', [{ name: 'main', url }], { delivery: { backoffDelay: 'PT0.2S' } });
    await relay.post('refused', { body: 'nobody home' });
    const entry = await eventually(async () => (await relay.deadLetters()).find((m) => m.subject.startsWith('dlq.refused.main.')));
    assert.equal(entry.header.get(Headers.dlqReason), 'max_deliveries');
    assert.equal(entry.header.get(Headers.dlqDeliveries), '3');
    const lastAttempt = await relay.jsm.streams.getMessage('EVENTS', { last_by_subj: 'events.refused.attempt' });
    const event = lastAttempt?.json<{ attempt: number; error?: string }[]>().at(-1);
    assert.equal(event?.attempt, 3);
    assert.match(event?.error ?? '', /ECONNREFUSED/);
  });
});
