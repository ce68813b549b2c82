import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { TestNatsServer } from '@hookrelay/test-support';
import type { RunningState } from '../src/index.js';
import {
  assertSameHistory,
  connectJetStream,
  countRows,
  dumpDatabase,
  makeHistory,
  publishAll,
  publishDlq,
  publishEvent,
  publishHistoryTasks,
  publishWebhook,
  queryOk,
  startTestState,
  tempDatabasePath,
  waitForConsumersIdle,
} from './helpers.js';

interface Relay {
  server: TestNatsServer;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  dbPath: string;
  state?: RunningState;
}

async function startRelay(): Promise<Relay> {
  const server = await TestNatsServer.start();
  const nc = await connect({ servers: server.url });
  return { server, nc, ...(await connectJetStream(nc)), dbPath: tempDatabasePath() };
}

async function stopRelay(relay: Relay): Promise<void> {
  await relay.state?.stop();
  await relay.nc.close();
  await relay.server.stop();
}

describe('history through the streams', () => {
  const history = makeHistory(600);
  let webhooksFirst: Relay;
  let eventsFirst: Relay;

  before(async () => {
    [webhooksFirst, eventsFirst] = await Promise.all([startRelay(), startRelay()]);
  });
  after(async () => {
    await Promise.all([stopRelay(webhooksFirst), stopRelay(eventsFirst)]);
  });

  it('gives the same rows whether webhooks or their events arrive first', async () => {
    const a = publishHistoryTasks(webhooksFirst.js, history);
    webhooksFirst.state = await startTestState(webhooksFirst.server.url, webhooksFirst.dbPath);
    await publishAll(a.webhooks);
    await waitForConsumersIdle(webhooksFirst.jsm);
    await publishAll([...a.events, ...a.dlq]);
    await waitForConsumersIdle(webhooksFirst.jsm);

    const b = publishHistoryTasks(eventsFirst.js, history);
    eventsFirst.state = await startTestState(eventsFirst.server.url, eventsFirst.dbPath);
    await publishAll([...b.dlq, ...b.events]);
    await waitForConsumersIdle(eventsFirst.jsm);
    await publishAll(b.webhooks);
    await waitForConsumersIdle(eventsFirst.jsm);

    assert.equal(countRows(webhooksFirst.dbPath, 'webhooks'), 600);
    assert.equal(countRows(webhooksFirst.dbPath, 'webhooks', 'captured = 0'), 0);
    assertSameHistory(eventsFirst.dbPath, webhooksFirst.dbPath);
  });

  it('changes nothing when every message is delivered again', async () => {
    const relay = webhooksFirst;
    const before = dumpDatabase(relay.dbPath);
    // EVENTS and DLQ have no dedupe id; the WEBHOOKS copies get new msgIDs so JetStream stores them too.
    await publishAll([
      ...history.webhooks.map((w) => () => publishWebhook(relay.js, w.meta, w.body, `${w.meta.id}-again`)),
      ...history.events.map((e) => () => publishEvent(relay.js, e)),
      ...history.dlq.map((d) => () => publishDlq(relay.js, d)),
    ]);
    await waitForConsumersIdle(relay.jsm);
    assert.equal(dumpDatabase(relay.dbPath), before);
  });

  it('keeps everything across a restart, statuses and attempt history included', async () => {
    const relay = webhooksFirst;
    const before = dumpDatabase(relay.dbPath);
    await relay.state?.stop();
    relay.state = await startTestState(relay.server.url, relay.dbPath);
    assert.equal(dumpDatabase(relay.dbPath), before);

    const dlqWebhook = history.webhooks[6]?.meta;
    assert.ok(dlqWebhook);
    const got = await queryOk(relay.nc, 'getWebhook', { id: dlqWebhook.id });
    assert.equal(got.webhook.status, 'dlq');
    assert.deepEqual(
      got.attempts.map((a) => [a.n, a.outcome, a.statusCode]),
      [[1, 'retrying', 503], [2, 'retrying', 503], [3, 'attempt', 503]],
    );
    assert.equal(got.deliveries[0]?.dlqReason, 'max_deliveries');

    // The consumers resume where they were: new messages are applied, old ones are not replayed.
    const later = makeHistory(10);
    await publishAll(publishHistoryTasks(relay.js, later).webhooks);
    await waitForConsumersIdle(relay.jsm);
    assert.equal(countRows(relay.dbPath, 'webhooks'), 610);
    const applied = await relay.state.registry.getSingleMetricAsString('hookrelay_state_messages_applied_total');
    assert.match(applied, /stream="webhooks",outcome="applied"[^}]*\} 10$/m, 'only the new webhooks were delivered again');
  });

  it('serves health, readiness and its metrics', async () => {
    const base = `http://127.0.0.1:${webhooksFirst.state?.opsPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'hookrelay_state_messages_applied_total',
      'hookrelay_state_batch_size',
      'hookrelay_state_commit_seconds',
      'hookrelay_state_consumer_lag',
      'hookrelay_state_database_bytes',
      'hookrelay_state_feed_published_total',
    ]) {
      assert.match(text, new RegExp(`^${name}`, 'm'), name);
    }
    assert.match(text, /hookrelay_state_messages_applied_total\{[^}]*stream="webhooks"[^}]*outcome="applied"[^}]*\} [1-9]/);
    const bytes = /^hookrelay_state_database_bytes\{[^}]*\} (\d+)/m.exec(text);
    assert.ok(bytes && Number(bytes[1]) > 0, 'database size is reported');
  });
});
