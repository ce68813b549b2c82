import { strict as assert } from 'node:assert';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { pino } from 'pino';
import { TestNatsServer, eventually, sleep } from '@hookrelay/test-support';
import { startGateway, type RunningGateway } from '../src/index.js';
import { feedEntry, publishEntries, publishEntry, type PublishedEntry } from './support/feed-publisher.js';
import { ADMIN_TOKEN, gatewayConfig, projectToken } from './support/gateway-relay.js';
import { SseClient } from './support/sse-client.js';

const ids = (events: { seq: number }[]) => events.map((e) => e.seq);

describe('live feeds (SSE from FEED)', () => {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let gateway: RunningGateway;
  let base: string;

  before(async () => {
    nats = await TestNatsServer.start();
    gateway = await startGateway(
      gatewayConfig(nats.url, {
        GATEWAY_SSE_HEARTBEAT: '250ms',
        GATEWAY_SSE_MAX_BUFFER_BYTES: String(1024 * 1024),
        GATEWAY_PROJECT_TOKENS: JSON.stringify({ alpha: projectToken('alpha') }),
      }),
      pino({ level: 'silent' }),
    );
    base = `http://127.0.0.1:${gateway.port}`;
    nc = await connect({ servers: nats.url });
    js = jetstream(nc);
  });
  after(async () => {
    await gateway.stop();
    await nc.close();
    await nats.stop();
  });

  const live = (path: string, init: { token?: string; lastEventId?: string } = {}) =>
    SseClient.live(`${base}${path}`, { token: ADMIN_TOKEN, ...init });

  it('sends each entry once with its stream sequence as id; a project feed and ?status= narrow it', async () => {
    const all = await live('/feed');
    const alpha = await live('/projects/alpha/feed');
    const beta = await live('/projects/beta/feed');
    const alphaDlq = await live('/projects/alpha/feed?status=dlq,failed');
    const statuses = ['received', 'forwarded', 'dlq', 'retrying', 'failed'] as const;
    const published = await publishEntries(
      js,
      Array.from({ length: 30 }, (_, i) => feedEntry(i % 3 === 0 ? 'beta' : 'alpha', statuses[i % statuses.length])),
    );
    await all.waitFor((c) => c.feed.length >= 30, '30 entries on the global feed');
    await beta.waitFor((c) => c.feed.length >= 10, 'beta entries');
    await sleep(200);
    assert.deepEqual(ids(all.feed), ids(published));
    assert.deepEqual(all.feed.map((e) => e.entry), published.map((p) => p.entry));
    const alphaOnly = published.filter((p) => p.entry.projectId === 'alpha');
    assert.deepEqual(ids(alpha.feed), ids(alphaOnly));
    assert.deepEqual(ids(beta.feed), ids(published.filter((p) => p.entry.projectId === 'beta')));
    assert.deepEqual(ids(alphaDlq.feed), ids(alphaOnly.filter((p) => p.entry.status === 'dlq' || p.entry.status === 'failed')));
    assert.equal(all.retryMs, 2000, 'tells EventSource how soon to reconnect');
    await Promise.all([all, alpha, beta, alphaDlq].map((c) => c.close()));
  });

  it('resumes from Last-Event-ID with exactly the missed entries, in order, while new ones keep arriving', async () => {
    const first = await live('/feed');
    const before = await publishEntries(js, Array.from({ length: 5 }, () => feedEntry('alpha')));
    await first.waitFor((c) => c.feed.length === 5, 'the first five');
    await first.close();
    const lastSeen = String(before.at(-1)!.seq);

    const missed = await publishEntries(js, Array.from({ length: 1500 }, (_, i) => feedEntry(i % 2 ? 'alpha' : 'beta')));
    // More arrive while the resumed clients catch up: the handover to the live tail must neither lose nor repeat.
    const trickle: PublishedEntry[] = [];
    const publishing = (async () => {
      for (let i = 0; i < 300; i++) trickle.push(await publishEntry(js, feedEntry(i % 2 ? 'alpha' : 'beta')));
    })();
    const resumedAll = await SseClient.connect(`${base}/feed`, { token: ADMIN_TOKEN, lastEventId: lastSeen });
    const resumedAlpha = await SseClient.connect(`${base}/projects/alpha/feed?lastEventId=${lastSeen}&access_token=${ADMIN_TOKEN}`);
    await publishing;
    const expected = [...missed, ...trickle];
    const lastSeq = expected.at(-1)!.seq;
    await resumedAll.waitFor((c) => c.feed.at(-1)?.seq === lastSeq, 'the resumed feed to reach the last entry', 30_000);
    await resumedAlpha.waitFor((c) => c.feed.at(-1)?.seq === expected.filter((p) => p.entry.projectId === 'alpha').at(-1)!.seq, 'alpha to catch up', 30_000);
    await sleep(200);
    assert.deepEqual(ids(resumedAll.feed), ids(expected), 'every missed and new entry, once, in order');
    assert.deepEqual(ids(resumedAll.feed), Array.from({ length: expected.length }, (_, i) => Number(lastSeen) + 1 + i), 'no gaps');
    assert.deepEqual(ids(resumedAlpha.feed), ids(expected.filter((p) => p.entry.projectId === 'alpha')));
    assert.ok(resumedAll.comments.includes('live'));
    await Promise.all([resumedAll.close(), resumedAlpha.close()]);
  });

  it('resumes with nothing missed: only live entries follow', async () => {
    const [last] = await publishEntries(js, [feedEntry('alpha')]);
    const resumed = await live('/feed', { lastEventId: String(last!.seq) });
    const [next] = await publishEntries(js, [feedEntry('alpha')]);
    await resumed.waitFor((c) => c.feed.length > 0, 'the next entry');
    await sleep(100);
    assert.deepEqual(ids(resumed.feed), [next!.seq]);
    await resumed.close();
  });

  it('writes a heartbeat comment on every feed at the configured interval', async () => {
    const client = await live('/projects/quiet/feed');
    await client.waitFor((c) => c.comments.filter((t) => t === 'heartbeat').length >= 2, 'two heartbeats', 3000);
    await client.close();
  });

  it('disconnects a client that stops reading, without holding up one that reads', async () => {
    const reader = await live('/projects/bulk/feed');
    // A raw socket that reads the response head, then nothing more.
    const socket = tcpConnect(gateway.port, '127.0.0.1');
    let head = '';
    let closed = false;
    socket.on('close', () => (closed = true));
    await new Promise<void>((resolve) => {
      socket.on('data', function onData(chunk: Buffer) {
        head += chunk.toString();
        if (head.includes(': live')) {
          socket.off('data', onData);
          socket.pause();
          resolve();
        }
      });
      socket.write(`GET /projects/bulk/feed HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n\r\n`);
    });
    assert.match(head, /^HTTP\/1\.1 200/);
    // 32 MiB: more than the paused client's socket buffers and the 1 MiB the gateway holds for it.
    const big = 'x'.repeat(16 * 1024);
    const published = await publishEntries(js, Array.from({ length: 2048 }, () => feedEntry('bulk', 'received', { path: big })));
    await reader.waitFor((c) => c.feed.length === published.length, 'the reading client to get everything', 30_000);
    assert.deepEqual(ids(reader.feed), ids(published));
    const metrics = await eventually(async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return /hookrelay_gateway_sse_clients_dropped_total\{reason="slow"[^}]*\} [1-9]/.test(text) && text;
    }, { what: 'the slow client to be dropped' });
    assert.match(metrics, /hookrelay_gateway_sse_events_sent_total\{[^}]*\} \d+/);
    socket.resume();
    await eventually(() => closed, { what: 'the slow client socket to close' });
    await reader.close();
  });

  it('answers 400 for a Last-Event-ID it never sent, before streaming', async () => {
    const res = await fetch(`${base}/feed`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'last-event-id': 'abc' } });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; details: unknown[] } };
    assert.equal(body.error.code, 'invalid_request');
    assert.ok(Array.isArray(body.error.details) && body.error.details.length > 0);
    const bad = await fetch(`${base}/feed?status=nope`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(bad.status, 400);
  });

  it('gives a project token its own project on /feed, and 403 on another project\'s feed', async () => {
    const own = await live('/feed', { token: projectToken('alpha') });
    await publishEntries(js, [feedEntry('beta'), feedEntry('alpha')]);
    await own.waitFor((c) => c.feed.length > 0, 'the alpha entry');
    await sleep(100);
    assert.deepEqual(own.feed.map((e) => e.entry.projectId), ['alpha']);
    await own.close();
    const other = await fetch(`${base}/projects/beta/feed?access_token=${projectToken('alpha')}`);
    assert.equal(other.status, 403);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, 'forbidden');
  });

  it('ends every feed on stop, and counts feed clients', async () => {
    const client = await live('/feed');
    assert.ok(gateway.feedClients() >= 1);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /hookrelay_gateway_sse_clients\{[^}]*feed="all"[^}]*\} [1-9]/);
    await client.close();
    await eventually(() => gateway.feedClients() === 0, { what: 'the feed count to drop' });
  });
});
