import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { TestNatsServer } from '@hookrelay/test-support';
import type { RunningState } from '../src/index.js';
import { PURGE_BATCH } from '../src/retention.js';
import {
  connectJetStream,
  countRows,
  dumpDatabase,
  makeEvent,
  makeWebhook,
  publishAll,
  publishEvent,
  publishWebhook,
  queryOk,
  startTestState,
  tempDatabasePath,
  waitForConsumersIdle,
} from './helpers.js';

describe('retention', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let state: RunningState;
  const dbPath = tempDatabasePath();
  const hour = 3_600_000;
  // More than two purge batches of old webhooks, and some kept.
  const old = Array.from({ length: PURGE_BATCH * 2 + 37 }, (_, i) => makeWebhook(i % 2 ? 'alpha' : 'beta', Date.now() - 2 * hour + i));
  const recent = Array.from({ length: 50 }, (_, i) => makeWebhook('alpha', Date.now() - 10 * 60_000 + i));

  before(async () => {
    server = await TestNatsServer.start();
    nc = await connect({ servers: server.url });
    ({ js, jsm } = await connectJetStream(nc));
    state = await startTestState(server.url, dbPath, { retentionIntervalMs: 3_600_000 }, { HISTORY_RETENTION: '1h' });
    await publishAll(
      [...old, ...recent].flatMap((w) => [
        () => publishWebhook(js, w, new Uint8Array([1, 2, 3])),
        () => publishEvent(js, makeEvent(w, 'retrying', 1)),
        () => publishEvent(js, makeEvent(w, 'forwarded', 2)),
      ]),
    );
    await waitForConsumersIdle(jsm);
  });
  after(async () => {
    await state.stop();
    await nc.close();
    await server.stop();
  });

  it('purges webhooks older than HISTORY_RETENTION, with their deliveries, attempts and payloads', async () => {
    assert.equal(countRows(dbPath, 'webhooks'), old.length + recent.length);
    const purged = await state.purgeExpired();
    assert.equal(purged, old.length);
    assert.equal(countRows(dbPath, 'webhooks'), recent.length);
    assert.equal(countRows(dbPath, 'deliveries'), recent.length);
    assert.equal(countRows(dbPath, 'attempts'), recent.length * 2);
    const dump = JSON.parse(dumpDatabase(dbPath)) as { payloads: { count: number }[] };
    assert.equal(dump.payloads[0]?.count, recent.length);
    const counts = await queryOk(nc, 'countWebhooks', {});
    assert.deepEqual(
      counts.projects.map((p) => [p.projectId, p.total, p.byStatus.forwarded]),
      [['alpha', recent.length, recent.length]],
    );
    assert.equal(await state.purgeExpired(), 0, 'nothing left to purge');
  });

  it('counts what it purged', async () => {
    const metrics = await state.registry.getSingleMetricAsString('hookrelay_state_purged_webhooks_total');
    assert.match(metrics, new RegExp(`hookrelay_state_purged_webhooks_total\\{[^}]*\\} ${old.length}\\b`));
  });
});
