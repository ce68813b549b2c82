import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { StateQueries, WebhookStatus } from '@hookrelay/schemas';
import { TestNatsServer } from '@hookrelay/test-support';
import type { RunningState } from '../src/index.js';
import {
  connectJetStream,
  makeEvent,
  makeHistory,
  makeWebhook,
  publishAll,
  publishEvent,
  publishHistoryTasks,
  publishWebhook,
  query,
  queryOk,
  startTestState,
  tempDatabasePath,
  waitForConsumersIdle,
} from './helpers.js';

describe('history queries over NATS', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let state: RunningState;
  const history = makeHistory(200);
  const binary = new Uint8Array(256).map((_, i) => i);
  const special = makeWebhook('alpha', Date.now() - 10_000, {
    headers: [
      ['x-dup', 'one'],
      ['X-Dup', 'two'],
      ['content-type', 'application/octet-stream'],
    ],
    contentType: 'application/octet-stream',
    bodySize: binary.length,
    dedupeKey: 'gh-delivery-42',
  });
  const huge = makeWebhook('beta', Date.now() - 5_000, { bodySize: 6 * 1024 * 1024 });

  before(async () => {
    server = await TestNatsServer.start();
    nc = await connect({ servers: server.url });
    ({ js, jsm } = await connectJetStream(nc));
    state = await startTestState(server.url, tempDatabasePath());
    const tasks = publishHistoryTasks(js, history);
    await publishAll([...tasks.webhooks, ...tasks.events, ...tasks.dlq]);
    await publishWebhook(js, special, binary);
    await publishEvent(js, makeEvent(special, 'retrying', 1, { error: 'Error: connect ECONNREFUSED\n    at TCPConnectWrap (net.js:1:1)' }));
    await publishEvent(js, makeEvent(special, 'forwarded', 2));
    await publishWebhook(js, huge, new Uint8Array(huge.bodySize).fill(65));
    await waitForConsumersIdle(jsm);
  });
  after(async () => {
    await state.stop();
    await nc.close();
    await server.stop();
  });

  it('returns one webhook with its body (binary-safe), headers, deliveries and attempts', async () => {
    const got = await queryOk(nc, 'getWebhook', { id: special.id });
    assert.equal(Buffer.from(got.webhook.bodyBase64 ?? '', 'base64').compare(Buffer.from(binary)), 0);
    assert.deepEqual(got.webhook.headers, special.headers);
    assert.equal(got.webhook.dedupeKey, 'gh-delivery-42');
    assert.equal(got.webhook.status, 'forwarded');
    assert.equal(got.deliveries.length, 1);
    assert.equal(got.deliveries[0]?.forwardedAt, special.receivedAt + 2000);
    assert.deepEqual(
      got.attempts.map((a) => [a.n, a.outcome, a.statusCode, a.error]),
      [[1, 'retrying', 503, 'Error: connect ECONNREFUSED'], [2, 'forwarded', 200, undefined]],
    );
    assert.match(got.attempts[0]?.errorStack ?? '', /at TCPConnectWrap/);
  });

  it('leaves out a body too large for a reply, and says so', async () => {
    const got = await queryOk(nc, 'getWebhook', { id: huge.id });
    assert.equal(got.webhook.bodyOmitted, 'too_large');
    assert.equal(got.webhook.bodyBase64, undefined);
    assert.equal(got.webhook.bodySize, huge.bodySize);
  });

  it('answers not_found for an unknown id, or a webhook of another project', async () => {
    const unknown = await query(nc, 'getWebhook', { id: 'no-such-webhook' });
    assert.equal(unknown.ok ? 'ok' : unknown.error.code, 'not_found');
    const otherProject = await query(nc, 'getWebhook', { id: special.id, projectId: 'beta' });
    assert.equal(otherProject.ok ? 'ok' : otherProject.error.code, 'not_found');
  });

  it('answers a bad query with an error reply and keeps serving', async () => {
    const cases: [keyof typeof StateQueries, string][] = [
      ['listWebhooks', 'not json'],
      ['listWebhooks', JSON.stringify({ limit: 0 })],
      ['listWebhooks', JSON.stringify({ limit: 10_000 })],
      ['listWebhooks', JSON.stringify({ statuses: ['lost'] })],
      ['listWebhooks', JSON.stringify({ projectId: 'Not A Project' })],
      ['listWebhooks', JSON.stringify({ status: 'dlq' })], // a typo of `statuses`: unknown keys are refused
      ['listWebhooks', JSON.stringify({ cursor: 'bm90LWEtY3Vyc29y' })],
      ['listFailedWebhooks', JSON.stringify({ since: -5 })],
      ['getWebhook', JSON.stringify({})],
      ['getWebhook', JSON.stringify([1, 2, 3])],
      ['countWebhooks', JSON.stringify({ projectId: 7 })],
    ];
    for (const [name, payload] of cases) {
      const reply = await query(nc, name, payload);
      assert.equal(reply.ok, false, `${name} ${payload} should fail`);
      if (!reply.ok) {
        assert.equal(reply.error.code, 'bad_request', `${name} ${payload}`);
        assert.ok(reply.error.message.length > 0);
      }
    }
    const issues = await query(nc, 'listWebhooks', JSON.stringify({ limit: 0 }));
    assert.ok(!issues.ok && Array.isArray(issues.error.details), 'the zod issues come back as details');
    const after = await queryOk(nc, 'countWebhooks', {});
    assert.ok(after.projects.length > 0, 'state still answers');
  });

  it('lists newest first with filters, and pages with the cursor', async () => {
    const all = await queryOk(nc, 'listWebhooks', { limit: 500 });
    assert.equal(all.items.length, 202);
    assert.equal(all.nextCursor, undefined);
    const times = all.items.map((i) => i.receivedAt);
    assert.deepEqual(times, [...times].sort((a, b) => b - a));

    const byKey = await queryOk(nc, 'listWebhooks', { dedupeKey: 'gh-delivery-42' });
    assert.deepEqual(byKey.items.map((i) => i.id), [special.id]);

    const from = history.webhooks[50]?.meta.receivedAt ?? 0;
    const to = history.webhooks[60]?.meta.receivedAt ?? 0;
    const window = await queryOk(nc, 'listWebhooks', { since: from, until: to, projectId: 'alpha' });
    assert.deepEqual(
      window.items.map((i) => i.id),
      history.webhooks.slice(50, 60).filter((w) => w.meta.projectId === 'alpha').map((w) => w.meta.id).reverse(),
    );

    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await queryOk(nc, 'listWebhooks', { projectId: 'gamma', limit: 7, ...(cursor ? { cursor } : {}) });
      pages.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(pages, history.webhooks.filter((w) => w.meta.projectId === 'gamma').map((w) => w.meta.id).reverse());
  });

  it('lists the failed webhooks, with their targets', async () => {
    const failed = await queryOk(nc, 'listFailedWebhooks', { limit: 500 });
    // Per ten: one dlq (6), one failed target (7); the replayed one (8) is forwarded now.
    assert.equal(failed.items.length, 40);
    for (const item of failed.items) assert.ok(item.status === 'failed' || item.status === 'dlq');
    const failedTarget = failed.items.find((i) => i.status === 'failed');
    assert.deepEqual(
      failedTarget?.targets.map((t) => [t.target, t.status, t.lastError]),
      [['audit', 'failed', 'target removed'], ['ci', 'forwarded', undefined]],
    );
  });

  it('counts webhooks per project and status', async () => {
    const counts = await queryOk(nc, 'countWebhooks', {});
    assert.deepEqual(counts.projects.map((p) => p.projectId), ['alpha', 'beta', 'delta', 'gamma']);
    const total = counts.projects.reduce((sum, p) => sum + p.total, 0);
    assert.equal(total, 202);
    const byStatus = Object.fromEntries(
      WebhookStatus.options.map((s) => [s, counts.projects.reduce((sum, p) => sum + p.byStatus[s], 0)]),
    );
    assert.deepEqual(byStatus, { received: 21, retrying: 20, forwarded: 121, failed: 20, dlq: 20 });
    const alpha = await queryOk(nc, 'countWebhooks', { projectId: 'alpha' });
    assert.deepEqual(alpha.projects.map((p) => p.projectId), ['alpha']);
  });
});
