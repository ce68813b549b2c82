import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { WebhookStatus } from '@hookrelay/schemas';
import { TestNatsServer } from '@hookrelay/test-support';
import type { RunningState } from '../src/index.js';
import { openDatabase } from '../src/database.js';
import { HistoryWriter } from '../src/apply.js';
import { HistoryQueries, type ListRequest } from '../src/queries.js';
import {
  connectJetStream,
  historyMessages,
  makeEvent,
  makeHistory,
  makeWebhook,
  publishAll,
  publishEvent,
  publishWebhook,
  queryOk,
  silentLog,
  startTestState,
  tempDatabasePath,
  waitForConsumersIdle,
} from './helpers.js';

const WEBHOOKS = 100_000;

describe(`listing ${WEBHOOKS.toLocaleString('en')} webhooks`, () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let state: RunningState;
  const dbPath = tempDatabasePath();

  before(async () => {
    // Seeded straight through the writer (the same code the consumers feed), then served over NATS.
    const db = openDatabase(dbPath, silentLog);
    const writer = new HistoryWriter(db);
    const messages = historyMessages(makeHistory(WEBHOOKS));
    for (let i = 0; i < messages.length; i += 5000) writer.applyBatch(messages.slice(i, i + 5000));
    db.close();
    server = await TestNatsServer.start();
    nc = await connect({ servers: server.url });
    ({ js, jsm } = await connectJetStream(nc));
    state = await startTestState(server.url, dbPath);
  });
  after(async () => {
    await state.stop();
    await nc.close();
    await server.stop();
  });

  function idsNewestFirst(where: string): string[] {
    const db = new Database(dbPath, { readonly: true });
    try {
      const rows = db.prepare(`SELECT id FROM webhooks WHERE ${where} ORDER BY received_at DESC, id DESC`).all() as { id: string }[];
      return rows.map((r) => r.id);
    } finally {
      db.close();
    }
  }

  it('uses an index for every list shape, with no sort of the matches', () => {
    const db = new Database(dbPath, { readonly: true });
    const queries = new HistoryQueries(db);
    const cursor = Buffer.from(`${Date.now()}:zzzz`).toString('base64url');
    const shapes: [Partial<ListRequest>, string][] = [
      [{ projectId: 'alpha', statuses: ['forwarded'] }, 'webhooks_by_project_status'],
      [{ projectId: 'alpha', statuses: ['forwarded'], cursor }, 'webhooks_by_project_status'],
      [{ projectId: 'alpha', statuses: ['failed', 'dlq'], since: 1, until: Date.now(), cursor }, 'webhooks_by_project_status'],
      [{ projectId: 'alpha' }, 'webhooks_by_project_status'],
      [{ statuses: ['dlq'] }, 'webhooks_by_status'],
      [{}, 'webhooks_by_time'],
      [{ since: 1, cursor }, 'webhooks_by_time'],
      [{ dedupeKey: 'delivery-3' }, 'webhooks_by_dedupe_key'],
      [{ projectId: 'alpha', dedupeKey: 'delivery-3' }, 'webhooks_by_dedupe_key'],
      [{ projectId: 'alpha', statuses: ['dlq', 'failed'], dedupeKey: 'delivery-3' }, 'webhooks_by_dedupe_key'],
    ];
    for (const [request, index] of shapes) {
      for (const plan of queries.explainList({ limit: 50, ...request })) {
        const text = plan.join(' | ');
        assert.match(text, new RegExp(`USING (COVERING )?INDEX ${index}\\b`), `${JSON.stringify(request)}: ${text}`);
        assert.doesNotMatch(text, /TEMP B-TREE|SCAN webhooks\b(?! USING)/, `${JSON.stringify(request)}: ${text}`);
      }
    }
    db.close();
  });

  async function pageAll(request: { projectId: string; statuses: WebhookStatus[] }, whileWriting: () => Promise<void>) {
    const seen: string[] = [];
    const first = await queryOk(nc, 'listWebhooks', { ...request, limit: 500 });
    seen.push(...first.items.map((i) => i.id));
    // Writes start only after the first page: everything they add is newer than every cursor that follows.
    const writing = whileWriting();
    let cursor = first.nextCursor;
    let pages = 1;
    while (cursor) {
      const page = await queryOk(nc, 'listWebhooks', { ...request, limit: 500, cursor });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    }
    await writing;
    return { seen, pages };
  }

  function writeNewWebhooks(projectId: string, count: number): () => Promise<void> {
    return async () => {
      const fresh = Array.from({ length: count }, () => makeWebhook(projectId));
      await publishAll(fresh.flatMap((w) => [() => publishWebhook(js, w), () => publishEvent(js, makeEvent(w, 'forwarded', 1))]), 64);
    };
  }

  it('pages by project and status without gaps or repeats while writes continue', async () => {
    const expected = idsNewestFirst(`project_id = 'alpha' AND status = 'forwarded'`);
    assert.ok(expected.length > 10_000);
    const { seen, pages } = await pageAll({ projectId: 'alpha', statuses: ['forwarded'] }, writeNewWebhooks('alpha', 2000));
    assert.equal(new Set(seen).size, seen.length, 'no repeats');
    assert.deepEqual(seen, expected, 'every row, in order');
    assert.ok(pages > 20);
    await waitForConsumersIdle(jsm);
    const now = await queryOk(nc, 'countWebhooks', { projectId: 'alpha' });
    assert.equal(now.projects[0]?.byStatus.forwarded, expected.length + 2000, 'the writes landed meanwhile');
  });

  it('pages over several statuses the same way', async () => {
    const expected = idsNewestFirst(`project_id = 'beta' AND status IN ('dlq', 'retrying')`);
    const { seen } = await pageAll({ projectId: 'beta', statuses: ['dlq', 'retrying'] }, writeNewWebhooks('beta', 500));
    assert.deepEqual(seen, expected);
  });
});
