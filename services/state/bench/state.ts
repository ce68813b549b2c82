// The state service's figures: how fast it applies stream messages, what it costs in CPU under a steady
// load, and how fast it answers list queries over 100,000 and 1,000,000 webhooks.
// Run: node --import tsx services/state/bench/state.ts (`npm run bench -- state` builds first and runs it).
// Prints figures; asserts nothing about time.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { provisionJetStream } from '@hookrelay/platform';
import { TestNatsServer, eventually, sleep } from '@hookrelay/test-support';
import { Streams } from '@hookrelay/schemas';
import type { StateQueryName, StateQueryRequest, WebhookStatus } from '@hookrelay/schemas';
import { StateConsumers } from '../src/index.js';
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

const STEADY_RATE = 2000; // webhooks/s, each followed 10 ms later by its forwarded event
const STEADY_SECONDS = 10;
const GITHUB_LIKE_HEADERS: [string, string][] = [
  ['content-type', 'application/json'],
  ['user-agent', 'GitHub-Hookshot/044aadd'],
  ['x-github-event', 'push'],
  ['x-github-delivery', '72d3162e-cc78-11e3-81ab-4c9367dc0958'],
  ['x-hub-signature-256', `sha256=${'a'.repeat(64)}`],
  ['content-length', '1024'],
  ['accept', '*/*'],
  ['host', 'hooks.example.com'],
];

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The state process (dist/main.js, as a container runs it) beside a steady load: its CPU per message. */
async function steadyLoad(): Promise<void> {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  console.log(`\n-- steady load: ${fmt(STEADY_RATE)} webhooks/s for ${STEADY_SECONDS} s, each with its forwarded event; state in its own process`);
  if (!existsSync(main) || !existsSync('/proc/self/stat')) {
    console.log('skipped: needs services/state/dist (build first) and /proc');
    return;
  }
  const server = await TestNatsServer.start();
  const nc = await connect({ servers: server.url });
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, NATS_URL: server.url, DATABASE_PATH: tempDatabasePath(), STATE_PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const { js, jsm } = await connectJetStream(nc);
    await provisionJetStream(nc, { replicas: 1, historyRetentionMs: 7 * 86_400_000 });
    // Started once the child has created its consumers (info throws until then).
    await eventually(() => jsm.consumers.info(Streams.events, StateConsumers.events).then(() => true), { what: 'the state consumers' });
    const pid = child.pid ?? 0;
    const cpu0 = cpuSecondsOf(pid);
    const t0 = performance.now();
    const perTick = STEADY_RATE / 100;
    let previous: ReturnType<typeof makeWebhook>[] = [];
    const inflight: Promise<unknown>[] = [];
    for (let tick = 0; tick < STEADY_SECONDS * 100; tick++) {
      const wait = t0 + tick * 10 - performance.now();
      if (wait > 0) await sleep(wait);
      const batch = Array.from({ length: perTick }, () => makeWebhook('alpha', Date.now(), { headers: GITHUB_LIKE_HEADERS, bodySize: BODY.length }));
      for (const w of batch) inflight.push(publishWebhook(js, w, BODY));
      for (const w of previous) inflight.push(publishEvent(js, makeEvent(w, 'forwarded', 1, { at: Date.now() })));
      previous = batch;
      if (inflight.length > 2000) await Promise.all(inflight.splice(0));
    }
    await Promise.all([...inflight, ...previous.map((w) => publishEvent(js, makeEvent(w, 'forwarded', 1)))]);
    const offered = (performance.now() - t0) / 1000;
    await waitForConsumersIdle(jsm, 120_000);
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuSecondsOf(pid) - cpu0;
    const messages = STEADY_RATE * STEADY_SECONDS * 2;
    console.log(`offered in ${offered.toFixed(1)} s, all applied ${(wall - offered).toFixed(2)} s after the last publish`);
    console.log(`state CPU: ${(cpu * 1e6 / messages).toFixed(0)} µs per message, ${((100 * cpu) / wall).toFixed(0)}% of one core at ${fmt(messages / wall)} messages/s`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
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
await steadyLoad();
await listLatency([100_000, 1_000_000]);
