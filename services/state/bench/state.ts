// The state service's figures: how fast it applies stream messages, and how fast it answers list queries
// over 100,000 and 1,000,000 webhooks. Run: node --import tsx services/state/bench/state.ts
// (`npm run bench -- state` runs it too). Prints figures; asserts nothing about time.
import { connect } from '@nats-io/transport-node';
import { provisionJetStream } from '@hookrelay/platform';
import { TestNatsServer, sleep } from '@hookrelay/test-support';
import type { StateQueryName, StateQueryRequest, WebhookStatus } from '@hookrelay/schemas';
import { openDatabase } from '../src/database.js';
import { HistoryWriter, type HistoryMessage } from '../src/apply.js';
import {
  captured,
  connectJetStream,
  makeEvent,
  makeWebhook,
  publishAll,
  publishEvent,
  publishWebhook,
  query,
  silentLog,
  startTestState,
  tempDatabasePath,
  waitForConsumersIdle,
} from '../test/helpers.js';

const APPLY_WEBHOOKS = 50_000; // and as many events: 100,000 messages
const BODY = new Uint8Array(1024).fill(0x61);
const PROJECTS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

const fmt = (n: number) => Math.round(n).toLocaleString('en');

/** One webhook and what the forwarder reports about it, in a realistic mix of outcomes. */
function webhookWithEvents(i: number, receivedAt: number): HistoryMessage[] {
  const meta = makeWebhook(PROJECTS[i % PROJECTS.length] ?? 'alpha', receivedAt, {
    bodySize: BODY.length,
    ...(i % 4 === 0 ? { dedupeKey: `provider-${i}` } : {}),
  });
  const out: HistoryMessage[] = [{ kind: 'webhook', webhook: captured(meta, BODY) }];
  const r = i % 20;
  if (r < 16) out.push({ kind: 'event', event: makeEvent(meta, 'forwarded', 1) });
  else if (r < 18) out.push({ kind: 'event', event: makeEvent(meta, 'retrying', 1) });
  else if (r === 18) out.push({ kind: 'event', event: makeEvent(meta, 'attempt', 3) }, { kind: 'event', event: makeEvent(meta, 'dlq', 3) });
  return out;
}

async function applyRate(): Promise<void> {
  console.log(`\n-- apply rate: ${fmt(APPLY_WEBHOOKS)} webhooks (1 KiB bodies) + ${fmt(APPLY_WEBHOOKS)} forwarded events`);
  const start = Date.now() - 3_600_000;
  const webhooks = Array.from({ length: APPLY_WEBHOOKS }, (_, i) => makeWebhook(PROJECTS[i % PROJECTS.length] ?? 'alpha', start + i, { bodySize: BODY.length }));

  // The writer alone: SQLite and the apply logic, no NATS.
  {
    const db = openDatabase(tempDatabasePath(), silentLog);
    const writer = new HistoryWriter(db);
    const messages: HistoryMessage[] = webhooks.flatMap((meta) => [
      { kind: 'webhook', webhook: captured(meta, BODY) },
      { kind: 'event', event: makeEvent(meta, 'forwarded', 1) },
    ]);
    const t = performance.now();
    for (let i = 0; i < messages.length; i += 1000) writer.applyBatch(messages.slice(i, i + 1000));
    const s = (performance.now() - t) / 1000;
    console.log(`writer only (batches of 1000):        ${fmt(messages.length / s)} messages/s`);
    db.close();
  }

  // Through JetStream: the backlog is published first, then the service drains it.
  const server = await TestNatsServer.start();
  const nc = await connect({ servers: server.url });
  try {
    const { js, jsm } = await connectJetStream(nc);
    await provisionJetStream(nc, { replicas: 1, historyRetentionMs: 7 * 86_400_000 });
    await publishAll(webhooks.flatMap((meta) => [() => publishWebhook(js, meta, BODY), () => publishEvent(js, makeEvent(meta, 'forwarded', 1))]));
    const t = performance.now();
    const state = await startTestState(server.url, tempDatabasePath());
    await waitForConsumersIdle(jsm, 600_000);
    const s = (performance.now() - t) / 1000;
    const batch = (await state.registry.getSingleMetric('hookrelay_state_batch_size')?.get())?.values ?? [];
    const commit = (await state.registry.getSingleMetric('hookrelay_state_commit_seconds')?.get())?.values ?? [];
    const sumOf = (v: typeof batch, name: string) => v.find((x) => (x as { metricName?: string }).metricName === name)?.value ?? 0;
    console.log(`through JetStream (consume, apply, ack): ${fmt((APPLY_WEBHOOKS * 2) / s)} messages/s (${s.toFixed(2)} s, start included)`);
    console.log(
      `  mean batch ${fmt(sumOf(batch, 'hookrelay_state_batch_size_sum') / sumOf(batch, 'hookrelay_state_batch_size_count'))} messages,` +
        ` mean commit ${((sumOf(commit, 'hookrelay_state_commit_seconds_sum') / sumOf(commit, 'hookrelay_state_commit_seconds_count')) * 1000).toFixed(1)} ms`,
    );
    await state.stop();
  } finally {
    await nc.close();
    await server.stop();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function listLatency(sizes: number[]): Promise<void> {
  const dbPath = tempDatabasePath();
  const db = openDatabase(dbPath, silentLog);
  const writer = new HistoryWriter(db);
  const start = Date.now() - 3_600_000 - (sizes.at(-1) ?? 0);
  let seeded = 0;
  for (const size of sizes) {
    const t = performance.now();
    for (; seeded < size; ) {
      const batch: HistoryMessage[] = [];
      for (const end = Math.min(size, seeded + 5000); seeded < end; seeded++) batch.push(...webhookWithEvents(seeded, start + seeded));
      writer.applyBatch(batch);
    }
    console.log(`\n-- list latency at ${fmt(size)} webhooks (seeded through the writer in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
    await measureQueries(dbPath, start, size);
  }
  db.close();
}

async function measureQueries(dbPath: string, start: number, size: number): Promise<void> {
  const server = await TestNatsServer.start();
  const nc = await connect({ servers: server.url });
  const state = await startTestState(server.url, dbPath);
  try {
    const middle = Buffer.from(`${start + Math.floor(size / 2)}:~`).toString('base64url');
    const cases: { label: string; name: StateQueryName; request: StateQueryRequest<StateQueryName> }[] = [
      { label: 'newest 50, no filter', name: 'listWebhooks', request: { limit: 50 } },
      { label: 'project + status, first 50', name: 'listWebhooks', request: { projectId: 'alpha', statuses: ['forwarded'], limit: 50 } },
      { label: 'project + status, 50 from the middle', name: 'listWebhooks', request: { projectId: 'alpha', statuses: ['forwarded'], limit: 50, cursor: middle } },
      { label: 'project + 2 statuses, first 50', name: 'listWebhooks', request: { projectId: 'beta', statuses: ['retrying', 'dlq'] as WebhookStatus[], limit: 50 } },
      { label: 'failed, all projects, first 50', name: 'listFailedWebhooks', request: { limit: 50 } },
      { label: 'project + status, 500 per page', name: 'listWebhooks', request: { projectId: 'alpha', statuses: ['forwarded'], limit: 500 } },
      { label: 'by provider delivery id', name: 'listWebhooks', request: { dedupeKey: `provider-${Math.floor(size / 2 / 4) * 4}` } },
      { label: 'counts per project and status', name: 'countWebhooks', request: {} },
    ];
    for (const c of cases) {
      for (let i = 0; i < 20; i++) await query(nc, c.name, c.request); // warm-up
      const times: number[] = [];
      let items = 0;
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        const reply = await query(nc, c.name, c.request);
        times.push(performance.now() - t);
        if (!reply.ok) throw new Error(`${c.label}: ${JSON.stringify(reply.error)}`);
        if ('items' in reply.value) items = reply.value.items.length;
      }
      times.sort((a, b) => a - b);
      console.log(
        `${c.label.padEnd(40)} p50 ${percentile(times, 0.5).toFixed(2)} ms  p95 ${percentile(times, 0.95).toFixed(2)} ms  p99 ${percentile(times, 0.99).toFixed(2)} ms` +
          (c.name === 'countWebhooks' ? '' : `  (${items} items)`),
      );
    }
  } finally {
    await state.stop();
    await nc.close();
    await server.stop();
    await sleep(100);
  }
}

console.log('state service bench (NATS request/reply round trips included in list latency)');
await applyRate();
await listLatency([100_000, 1_000_000]);
