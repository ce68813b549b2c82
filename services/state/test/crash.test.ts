import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { provisionJetStream } from '@hookrelay/platform';
import { TestNatsServer, eventually } from '@hookrelay/test-support';
import { openDatabase } from '../src/database.js';
import { HistoryWriter } from '../src/apply.js';
import {
  assertSameHistory,
  connectJetStream,
  countRows,
  historyMessages,
  makeHistory,
  publishAll,
  publishInRelayOrder,
  silentLog,
  startTestState,
  tempDatabasePath,
  waitForConsumersIdle,
} from './helpers.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const WEBHOOKS = 20_000;

function startStateProcess(natsUrl: string, databasePath: string): ChildProcess {
  return spawn(process.execPath, [MAIN], {
    env: { ...process.env, NATS_URL: natsUrl, DATABASE_PATH: databasePath, STATE_PORT: '0', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

describe('the state process crashing', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const history = makeHistory(WEBHOOKS);
  const livePath = tempDatabasePath();

  before(async () => {
    assert.ok(existsSync(MAIN), `${MAIN} is missing: build first (npx turbo run build)`);
    server = await TestNatsServer.start();
    nc = await connect({ servers: server.url });
    ({ js, jsm } = await connectJetStream(nc));
    // The streams exist before anything publishes, as they do once any service has started.
    await provisionJetStream(nc, { replicas: 1, historyRetentionMs: 7 * 86_400_000 });
  });
  after(async () => {
    await nc.close();
    await server.stop();
  });

  it('loses and doubles nothing when SIGKILLed mid-batch and restarted', async (t) => {
    let child = startStateProcess(server.url, livePath);
    const publishing = publishAll(publishInRelayOrder(js, history));
    await eventually(() => countRows(livePath, 'webhooks') >= WEBHOOKS / 10, { timeoutMs: 60_000, what: 'the first batches' });
    child.kill('SIGKILL');
    await exited(child);
    const beforeCrash = countRows(livePath, 'webhooks');
    await publishing;
    assert.ok(beforeCrash < WEBHOOKS, `killed mid-way (${beforeCrash} of ${WEBHOOKS} applied)`);
    t.diagnostic(`killed with ${beforeCrash} of ${WEBHOOKS} webhooks applied`);

    child = startStateProcess(server.url, livePath);
    try {
      // Messages the killed process held unacked come back after the consumers' ack wait (10 s).
      await waitForConsumersIdle(jsm, 90_000);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
    assert.equal(child.exitCode, 0, 'a SIGTERM stops it cleanly');

    // What the same messages give when applied once each, in order, without NATS.
    const referencePath = tempDatabasePath();
    const db = openDatabase(referencePath, silentLog);
    new HistoryWriter(db).applyBatch(historyMessages(history));
    db.close();
    assert.equal(countRows(livePath, 'webhooks'), WEBHOOKS);
    // The DLQ stream numbers its copies itself; the reference cannot know those numbers.
    assertSameHistory(livePath, referencePath, ['dlq_stream_seq']);
  });

  it('gives the same content when the streams are replayed into a fresh database', async () => {
    const freshPath = tempDatabasePath();
    const state = await startTestState(server.url, freshPath);
    try {
      await waitForConsumersIdle(jsm, 90_000);
    } finally {
      await state.stop();
    }
    assertSameHistory(freshPath, livePath);
  });
});
