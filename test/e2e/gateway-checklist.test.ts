// Issue 4's checklist, step by step, through the whole relay: ingest -> forwarder -> state -> gateway, with
// real HTTP requests and real SSE streams.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { StatusCounts, WebhookSummary } from '@hookrelay/schemas';
import { WebhookTarget, eventually, sleep } from '@hookrelay/test-support';
import { GatewayRelay } from '../../services/gateway/test/support/gateway-relay.js';
import type { SseClient } from '../../services/gateway/test/support/sse-client.js';

interface Page {
  items: WebhookSummary[];
  nextCursor?: string;
}
interface Detail {
  webhook: WebhookSummary & { headers: [string, string][]; body?: { encoding: string; data: string } };
  deliveries: { id: string; target: string; status: string; current: boolean; attempts: number }[];
  attempts: { deliveryId: string; n: number; outcome: string; statusCode?: number }[];
}
interface Published {
  webhookId: string;
  projectId: string;
  deliveries: { target: string; deliveryId: string }[];
}

/** The statuses a feed showed for one webhook, in the order it showed them. */
const statusesOf = (feed: SseClient, id: string) => feed.feed.filter((e) => e.entry.id === id).map((e) => e.entry.status);

describe('gateway: the checklist of issue 4', () => {
  let g: GatewayRelay;
  let ok: WebhookTarget;
  let flakyFails = true;
  let flaky: WebhookTarget;
  let firstId: string;
  let failedId: string;
  let flakyFeed: SseClient;

  before(async () => {
    g = await GatewayRelay.start();
    ok = await WebhookTarget.start();
    flaky = await WebhookTarget.start(() => ({ status: flakyFails ? 503 : 200, body: flakyFails ? 'down' : 'ok' }));
    await g.route('shop', [{ name: 'main', url: ok.url('/shop') }]);
    await g.route('other', [{ name: 'main', url: ok.url('/other') }]);
  });
  after(async () => {
    await flakyFeed?.close();
    await ok.stop();
    await flaky.stop();
    await g.stop();
  });

  test('a captured webhook is found in the history, as captured, with its delivery and attempt', async () => {
    const body = JSON.stringify({ order: 42, note: 'héllo ✓' });
    const res = await g.relay.post('shop', { path: '/orders?src=test', body, headers: { 'content-type': 'application/json', 'x-custom': 'kept' } });
    assert.equal(res.status, 202);
    firstId = ((await res.json()) as { id: string }).id;

    const listed = await eventually(async () => {
      const page = await g.json<Page>('/webhooks?projectId=shop');
      return page.items.find((w) => w.id === firstId && w.status === 'forwarded');
    }, { what: 'the webhook in the history as forwarded' });
    assert.equal(listed.method, 'POST');
    assert.equal(listed.path, '/orders');
    assert.equal(listed.query, 'src=test');

    const detail = await g.json<Detail>(`/webhooks/${firstId}`);
    assert.deepEqual(detail.webhook.body, { encoding: 'utf8', data: body });
    assert.ok(detail.webhook.headers.some(([k, v]) => k.toLowerCase() === 'x-custom' && v === 'kept'));
    assert.deepEqual(detail.deliveries.map((d) => [d.target, d.status, d.current, d.attempts]), [['main', 'forwarded', true, 1]]);
    assert.deepEqual(detail.attempts.map((a) => [a.n, a.outcome, a.statusCode]), [[1, 'forwarded', 200]]);

    // A body that is not UTF-8 comes back as base64, and says so.
    const binary = randomBytes(64);
    binary[0] = 0xff;
    const binaryId = await g.send('shop', binary, { 'content-type': 'application/octet-stream' });
    const binaryDetail = await eventually(() => g.json<Detail>(`/webhooks/${binaryId}`), { what: 'the binary webhook' });
    assert.deepEqual(binaryDetail.webhook.body, { encoding: 'base64', data: binary.toString('base64') });

    // Filters and paging: newest first, a cursor for the next page.
    const forwarded = await g.json<Page>('/webhooks?projectId=shop&status=forwarded,received&limit=1');
    assert.equal(forwarded.items.length, 1);
    assert.ok(forwarded.nextCursor);
    const next = await g.json<Page>(`/webhooks?projectId=shop&status=forwarded,received&limit=1&cursor=${forwarded.nextCursor}`);
    assert.equal(next.items.length, 1);
    assert.notEqual(next.items[0]!.id, forwarded.items[0]!.id);
    assert.equal((await g.json<Page>('/webhooks?projectId=shop&status=dlq')).items.length, 0);
    const since = await g.json<Page>(`/webhooks?projectId=shop&since=${new Date(listed.receivedAt).toISOString()}&until=${listed.receivedAt + 1}`);
    assert.deepEqual(since.items.map((w) => w.id), [firstId]);
  });

  test("it shows on the global feed and on its project's feed, and not on another project's", async () => {
    const all = await g.feed('/feed');
    const shop = await g.feed('/projects/shop/feed');
    const other = await g.feed('/projects/other/feed');
    const shopId = await g.send('shop');
    const otherId = await g.send('other');
    await other.waitFor((c) => statusesOf(c, otherId).includes('forwarded'), 'the other project to see its own webhook');
    await shop.waitFor((c) => statusesOf(c, shopId).includes('forwarded'), 'the shop feed to see the shop webhook');
    await all.waitFor((c) => statusesOf(c, shopId).includes('forwarded') && statusesOf(c, otherId).includes('forwarded'), 'the global feed to see both');
    assert.deepEqual(statusesOf(other, shopId), [], "another project's feed does not show it");
    assert.deepEqual(statusesOf(shop, otherId), []);
    assert.equal(statusesOf(shop, shopId).at(-1), 'forwarded');
    const seqs = all.feed.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'ids increase');
    await Promise.all([all.close(), shop.close(), other.close()]);
  });

  test('a failing target goes through its retries to the DLQ and shows in GET /webhooks/failed', async () => {
    await g.route('flaky', [{ name: 'main', url: flaky.url('/hook') }], { delivery: { retry: 2, backoffDelay: 'PT0.2S' } });
    flakyFeed = await g.feed('/projects/flaky/feed');
    failedId = await g.send('flaky', '{"charge":1}');
    await flaky.waitFor(3);
    const failed = await eventually(async () => {
      const page = await g.json<Page>('/webhooks/failed?projectId=flaky');
      return page.items.find((w) => w.id === failedId);
    }, { what: 'the webhook in /webhooks/failed' });
    assert.equal(failed.status, 'dlq');
    assert.ok((await g.json<Page>('/webhooks/failed')).items.some((w) => w.id === failedId), 'also without a project filter');
    const detail = await g.json<Detail>(`/webhooks/${failedId}`);
    assert.deepEqual(detail.deliveries.map((d) => [d.status, d.attempts]), [['dlq', 3]]);
    assert.deepEqual(detail.attempts.map((a) => a.statusCode), [503, 503, 503]);
    await flakyFeed.waitFor((c) => statusesOf(c, failedId).at(-1) === 'dlq', 'the feed to show the DLQ');
    assert.ok(statusesOf(flakyFeed, failedId).includes('retrying'), 'the feed showed the retries');
    assert.equal(flaky.requests.length, 3);
  });

  test('after the target recovers, POST /webhooks/:id/retry delivers it and the feed shows the change', async () => {
    flakyFails = false;
    const published = await g.json<Published>(`/webhooks/${failedId}/retry`, { method: 'POST' });
    assert.equal(published.webhookId, failedId);
    assert.deepEqual(published.deliveries.map((d) => d.target), ['main']);
    await flaky.waitFor(4);
    const retried = flaky.requests[3]!;
    assert.equal(retried.headers['webhook-id'], failedId);
    assert.equal(retried.body.toString(), '{"charge":1}');
    await flakyFeed.waitFor((c) => statusesOf(c, failedId).at(-1) === 'forwarded', 'the feed to show it forwarded');

    const detail = await eventually(async () => {
      const d = await g.json<Detail>(`/webhooks/${failedId}`);
      return d.webhook.status === 'forwarded' && d;
    }, { what: 'the history to show it forwarded' });
    assert.deepEqual(
      detail.deliveries.map((d) => [d.status, d.current]),
      [['dlq', false], ['forwarded', true]],
      'the failed delivery is kept; the retry is a new one',
    );
    assert.equal(detail.deliveries[1]!.id, published.deliveries[0]!.deliveryId);
    assert.ok(!(await g.json<Page>('/webhooks/failed?projectId=flaky')).items.some((w) => w.id === failedId));

    const again = await g.api(`/webhooks/${failedId}/retry`, { method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'nothing_to_retry');
  });

  test('POST /webhooks/retry retries a project\'s DLQ between two times and says how many', async () => {
    flakyFails = true;
    const from = Date.now();
    const ids = [await g.send('flaky', '{"n":1}'), await g.send('flaky', '{"n":2}')];
    await eventually(async () => {
      const page = await g.json<Page>('/webhooks/failed?projectId=flaky');
      return ids.every((id) => page.items.some((w) => w.id === id && w.status === 'dlq'));
    }, { what: 'both webhooks in the DLQ' });
    flakyFails = false;
    const before = flaky.requests.length;
    const result = await g.json<{ matched: number; retried: number; deliveries: number; skipped: number; truncated: boolean }>(
      '/webhooks/retry',
      { method: 'POST', body: { projectId: 'flaky', since: from, until: new Date(Date.now() + 1000).toISOString() } },
    );
    assert.deepEqual(result, { matched: 2, retried: 2, deliveries: 2, skipped: 0, truncated: false });
    await flaky.waitFor(before + 2);
    await eventually(async () => (await g.json<Page>('/webhooks/failed?projectId=flaky')).items.length === 0, { what: 'the DLQ to empty' });
  });

  test('replay delivers again, as a new delivery, to every target or to the one named', async (t) => {
    const a = await WebhookTarget.start();
    const b = await WebhookTarget.start();
    t.after(() => Promise.all([a.stop(), b.stop()]));
    await g.route('multi', [{ name: 'a', url: a.url() }, { name: 'b', url: b.url() }]);
    const id = await g.send('multi', 'payload');
    await Promise.all([a.waitFor(1), b.waitFor(1)]);
    // The first attempt can reach the targets before the state service has recorded the webhook.
    await eventually(() => g.json<Detail>(`/webhooks/${id}`), { what: 'the webhook in the history' });

    const all = await g.json<Published>(`/webhooks/${id}/replay`, { method: 'POST' });
    assert.deepEqual(all.deliveries.map((d) => d.target).sort(), ['a', 'b']);
    await Promise.all([a.waitFor(2), b.waitFor(2)]);
    const one = await g.json<Published>(`/webhooks/${id}/replay`, { method: 'POST', body: { target: 'b' } });
    assert.deepEqual(one.deliveries.map((d) => d.target), ['b']);
    await b.waitFor(3);
    await sleep(300);
    assert.equal(a.requests.length, 2);
    assert.equal(b.requests.length, 3);
    for (const req of [...a.requests, ...b.requests]) {
      assert.equal(req.headers['webhook-id'], id);
      assert.equal(req.body.toString(), 'payload');
    }
    const detail = await eventually(async () => {
      const d = await g.json<Detail>(`/webhooks/${id}`);
      return d.deliveries.length === 5 && d.deliveries.every((x) => x.status === 'forwarded') && d;
    }, { what: 'five forwarded deliveries in the history' });
    assert.equal(new Set(detail.deliveries.map((d) => d.id)).size, 5, 'each replay is its own delivery');

    const unknownTarget = await g.api(`/webhooks/${id}/replay`, { method: 'POST', body: { target: 'zzz' } });
    assert.equal(unknownTarget.status, 404);
    assert.equal(((await unknownTarget.json()) as { error: { code: string } }).error.code, 'target_not_found');
  });

  test('after a restart of state and gateway, the history is still there', async () => {
    const before = await g.json<Detail>(`/webhooks/${firstId}`);
    await g.gateway.stop();
    await g.state.stop();
    await g.startState();
    await g.startGateway();
    const afterRestart = await g.json<Detail>(`/webhooks/${firstId}`);
    assert.deepEqual(afterRestart, before);
    const { projects } = await g.json<{ projects: { projectId: string; counts: { total: number; byStatus: StatusCounts } }[] }>('/projects');
    const shop = projects.find((p) => p.projectId === 'shop');
    assert.ok(shop && shop.counts.total >= 3 && shop.counts.byStatus.forwarded >= 3, JSON.stringify(shop));
  });

  test('100 webhooks in a burst all appear on the feed, in order', async () => {
    await g.route('burst', [{ name: 'main', url: ok.url('/burst') }]);
    const all = await g.feed('/feed');
    const burst = await g.feed('/projects/burst/feed');
    const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => g.send('burst', JSON.stringify({ i }))));
    await burst.waitFor((c) => ids.every((id) => statusesOf(c, id).at(-1) === 'forwarded'), 'all 100 forwarded on the feed', 30_000);
    await sleep(300);
    const seqs = burst.feed.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'project feed ids increase');
    assert.equal(new Set(seqs).size, seqs.length, 'no entry twice');
    for (const id of ids) assert.equal(statusesOf(burst, id)[0] === 'forwarded' || statusesOf(burst, id)[0] === 'received', true);
    // The global feed carries every FEED message: its ids are consecutive, so nothing was skipped.
    const allSeqs = all.feed.map((e) => e.seq);
    assert.deepEqual(allSeqs, Array.from({ length: allSeqs.length }, (_, i) => allSeqs[0]! + i), 'global feed without gaps');
    assert.ok(ids.every((id) => statusesOf(all, id).at(-1) === 'forwarded'));
    const page = await g.json<Page>('/webhooks?projectId=burst&limit=100');
    assert.deepEqual(new Set(page.items.map((w) => w.id)), new Set(ids));
    await Promise.all([all.close(), burst.close()]);
  });
});
