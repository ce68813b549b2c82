import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { openDatabase } from '../src/database.js';
import { HistoryWriter, type HistoryMessage } from '../src/apply.js';
import { HistoryQueries } from '../src/queries.js';
import { captured, dumpDatabase, historyMessages, makeEvent, makeHistory, makeWebhook, silentLog, tempDatabasePath } from './helpers.js';

/** A deterministic shuffle, so a failure can be reproduced. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function applyInBatches(messages: readonly HistoryMessage[], batchSize: number): string {
  const path = tempDatabasePath();
  const db = openDatabase(path, silentLog);
  const writer = new HistoryWriter(db);
  for (let i = 0; i < messages.length; i += batchSize) writer.applyBatch(messages.slice(i, i + batchSize));
  const applied = dumpDatabase(path);
  // The short path (a delivery's first message) and the recompute from facts must agree, and the counts
  // kept per batch must match the rows.
  writer.rebuildDerived();
  db.close();
  assert.equal(dumpDatabase(path), applied, 'recomputing every derived column changes nothing');
  return applied;
}

describe('applying history messages', () => {
  const messages = historyMessages(makeHistory(200));

  it('ends in the same rows whatever the order and batching', () => {
    const reference = applyInBatches(messages, messages.length);
    const eventsFirst = [...messages.filter((m) => m.kind !== 'webhook'), ...messages.filter((m) => m.kind === 'webhook')];
    assert.equal(applyInBatches(eventsFirst, 7), reference, 'events before their webhooks');
    assert.equal(applyInBatches([...messages].reverse(), 1), reference, 'reversed, one per batch');
    for (const seed of [1, 2, 3, 4, 5]) assert.equal(applyInBatches(shuffled(messages, seed), 50), reference, `shuffle ${seed}`);
  });

  it('changes nothing when a message is applied again, and reports no feed entry for it', () => {
    const path = tempDatabasePath();
    const db = openDatabase(path, silentLog);
    const writer = new HistoryWriter(db);
    const firstFeed = writer.applyBatch(messages);
    assert.ok(firstFeed.length > 0);
    const once = dumpDatabase(path);
    assert.deepEqual(writer.applyBatch(messages), [], 'a second pass changes no webhook');
    assert.deepEqual(writer.applyBatch(shuffled(messages, 9).slice(0, 50)), []);
    db.close();
    assert.equal(dumpDatabase(path), once);
  });

  it('derives delivery and webhook statuses as documented', () => {
    const db = openDatabase(tempDatabasePath(), silentLog);
    const writer = new HistoryWriter(db);
    const queries = new HistoryQueries(db);
    const statusOf = (id: string) => queries.getWebhook({ id });

    // Two targets: the webhook shows the worst.
    const twoTargets = makeWebhook('alpha');
    writer.applyBatch([
      { kind: 'webhook', webhook: captured(twoTargets) },
      { kind: 'event', event: makeEvent(twoTargets, 'forwarded', 1, { target: 'a' }) },
      { kind: 'event', event: makeEvent(twoTargets, 'retrying', 1, { target: 'b' }) },
    ]);
    let got = statusOf(twoTargets.id);
    assert.equal(got.webhook.status, 'retrying');
    assert.deepEqual(
      got.webhook.targets.map((t) => [t.target, t.status, t.attempts]),
      [['a', 'forwarded', 1], ['b', 'retrying', 1]],
    );
    assert.equal(got.webhook.targets[1]?.nextAttemptAt, twoTargets.receivedAt + 2000);
    writer.applyBatch([{ kind: 'event', event: makeEvent(twoTargets, 'forwarded', 2, { target: 'b' }) }]);
    got = statusOf(twoTargets.id);
    assert.equal(got.webhook.status, 'forwarded');
    assert.equal(got.attempts.length, 3);

    // An attempt with no retry scheduled reads `failed` until the DLQ event, which then wins.
    const parked = makeWebhook('alpha');
    writer.applyBatch([
      { kind: 'webhook', webhook: captured(parked) },
      { kind: 'event', event: makeEvent(parked, 'attempt', 1, { statusCode: 404, error: 'HTTP 404' }) },
    ]);
    assert.equal(statusOf(parked.id).webhook.status, 'failed');
    writer.applyBatch([{ kind: 'event', event: makeEvent(parked, 'dlq', 1) }]);
    got = statusOf(parked.id);
    assert.equal(got.webhook.status, 'dlq');
    assert.equal(got.webhook.targets[0]?.lastStatusCode, 404);
    assert.equal(got.webhook.targets[0]?.lastError, 'HTTP 404');

    // A replay that succeeds supersedes the parked delivery; both stay in the history.
    writer.applyBatch([
      { kind: 'event', event: makeEvent(parked, 'forwarded', 1, { deliveryId: `${parked.id}:ci:r1`, at: parked.receivedAt + 90_000 }) },
    ]);
    got = statusOf(parked.id);
    assert.equal(got.webhook.status, 'forwarded');
    assert.deepEqual(
      got.deliveries.map((d) => [d.id.slice(parked.id.length), d.status, d.current]),
      [[':ci', 'dlq', false], [':ci:r1', 'forwarded', true]],
    );

    // An error with a stack keeps its first line as the message and the whole as the stack.
    const crashed = makeWebhook('beta');
    const error = 'TypeError: fetch failed\n    at deliver (forwarder.js:10:5)\n    at run (forwarder.js:20:1)';
    writer.applyBatch([{ kind: 'event', event: makeEvent(crashed, 'retrying', 1, { error }) }]);
    got = statusOf(crashed.id);
    assert.equal(got.webhook.captured, false, 'an event alone holds a place for its webhook');
    assert.equal(got.webhook.receivedAt, crashed.receivedAt, 'taken from the UUIDv7 until the webhook arrives');
    assert.equal(got.attempts[0]?.error, 'TypeError: fetch failed');
    assert.equal(got.attempts[0]?.errorStack, error);
    db.close();
  });
});
