// Feed fan-out: 500 SSE clients on one gateway (a child process, as in production), FEED entries published as
// the state service publishes them, and the time from publish to each client having parsed the event.
// Prints p50/p99/max latency, events delivered, and the gateway's memory before, idle with the clients, and
// at its peak. Run: node --import tsx services/gateway/bench/feed-fanout.ts (after `npx turbo run build`).
// Settings: BENCH_CLIENTS (500), BENCH_RATE entries/s (100), BENCH_SECONDS (10), BENCH_WORKERS (2).
import { spawn } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { join, resolve } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { connect } from '@nats-io/transport-node';
import { TestNatsServer, eventually, freePort, sleep } from '@hookrelay/test-support';
import { Subjects, type FeedEntry } from '@hookrelay/schemas';

const TOKEN = 'bench-admin-token-0123456789';
const MARK = '"path":"/bench/';

interface WorkerInput {
  port: number;
  clients: number;
}

type WorkerMessage = { type: 'live' } | { type: 'done'; latencies: Float64Array; events: number; dropped: number };

/** In a worker: `clients` SSE connections; records publish-to-parse latency from the time in each entry's path. */
async function runClients({ port, clients }: WorkerInput): Promise<void> {
  let latencies: number[] = [];
  let events = 0;
  let dropped = 0;
  let live = 0;
  const responses: IncomingMessage[] = [];
  const openOne = () =>
    new Promise<void>((resolveOpen, reject) => {
      const req = request({ port, host: '127.0.0.1', path: '/feed', headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' } });
      req.on('error', reject);
      req.on('response', (res) => {
        responses.push(res);
        let buffer = '';
        let isLive = false;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const now = performance.timeOrigin + performance.now();
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!isLive && frame === ': live') {
              isLive = true;
              resolveOpen();
              continue;
            }
            const at = frame.indexOf(MARK);
            if (at === -1) continue;
            const sentAt = Number(frame.slice(at + MARK.length, frame.indexOf('"', at + MARK.length)));
            latencies.push(now - sentAt);
            events++;
          }
        });
        res.on('close', () => {
          if (!stopping) dropped++;
        });
      });
      req.end();
    });
  let stopping = false;
  for (let i = 0; i < clients; i += 25) {
    await Promise.all(Array.from({ length: Math.min(25, clients - i) }, openOne));
    live += Math.min(25, clients - i);
  }
  parentPort?.postMessage({ type: 'live', live } satisfies WorkerMessage & { live: number });
  // 'reset' ends the warm-up (its samples are discarded); 'stop' ends the run.
  for (;;) {
    const command = await new Promise<string>((r) => parentPort?.once('message', r));
    if (command === 'stop') break;
    latencies = [];
    events = 0;
  }
  stopping = true;
  for (const res of responses) res.destroy();
  const out = Float64Array.from(latencies);
  parentPort?.postMessage({ type: 'done', latencies: out, events, dropped } satisfies WorkerMessage, [out.buffer]);
}

interface GatewayMetrics {
  rss: number;
  heap: number;
  clients: number;
  dropped: number;
}

async function metricsOf(port: number): Promise<GatewayMetrics> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    rss: read('hookrelay_process_resident_memory_bytes'),
    heap: read('hookrelay_nodejs_heap_size_used_bytes'),
    clients: read('hookrelay_gateway_sse_clients'),
    dropped: read('hookrelay_gateway_sse_clients_dropped_total'),
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const clients = Number(process.env.BENCH_CLIENTS ?? 500);
  const rate = Number(process.env.BENCH_RATE ?? 100);
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const workerCount = Number(process.env.BENCH_WORKERS ?? 2);
  const root = resolve(import.meta.dirname, '..', '..', '..');
  const nats = await TestNatsServer.start();
  const port = await freePort();
  // BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof") profiles the gateway under the benchmark.
  const nodeArgs = process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const gateway = spawn(process.execPath, [...nodeArgs, join(root, 'services', 'gateway', 'dist', 'main.js')], {
    env: { ...process.env, NATS_URL: nats.url, GATEWAY_PORT: String(port), GATEWAY_HOST: '127.0.0.1', HOOKRELAY_API_TOKEN: TOKEN, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const nc = await connect({ servers: nats.url });
  try {
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok, { what: 'the gateway to be ready' });
    await sleep(500);
    const before = await metricsOf(port);

    const workers = Array.from({ length: workerCount }, (_, i) => {
      const share = Math.floor(clients / workerCount) + (i < clients % workerCount ? 1 : 0);
      // A worker does not inherit tsx's loader: it registers it before importing this file.
      const tsxApi = JSON.stringify(import.meta.resolve('tsx/esm/api'));
      const bootstrap = `import(${tsxApi}).then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
      return new Worker(bootstrap, { eval: true, workerData: { port, clients: share } satisfies WorkerInput });
    });
    const live = workers.map((w) => new Promise<void>((r) => w.once('message', () => r())));
    await Promise.all(live);
    await sleep(1000);
    const idle = await metricsOf(port);

    // Warm-up (not measured): the gateway's code paths get compiled, then the run proper.
    const publishFor = async (ms: number) => {
      const interval = 1000 / rate;
      const started = performance.now();
      let sent = 0;
      let peakRss = 0;
      let lastSample = 0;
      while (performance.now() - started < ms) {
        const due = Math.floor((performance.now() - started) / interval);
        for (; sent < due; sent++) {
          const entry: FeedEntry = {
            id: `bench-${sent}`,
            projectId: `p${sent % 8}`,
            method: 'POST',
            path: `/bench/${(performance.timeOrigin + performance.now()).toFixed(3)}`,
            receivedAt: Date.now(),
            status: 'forwarded',
            targets: [{ target: 'main', status: 'forwarded', attempts: 1, lastStatusCode: 200 }],
          };
          nc.publish(Subjects.feed(entry.projectId), JSON.stringify(entry));
        }
        if (performance.now() - lastSample > 1000) {
          lastSample = performance.now();
          void metricsOf(port).then((m) => (peakRss = Math.max(peakRss, m.rss)));
        }
        await sleep(Math.max(1, interval / 2));
      }
      return { sent, peakRss };
    };
    await publishFor(2000);
    await sleep(1000);
    for (const w of workers) w.postMessage('reset');
    await sleep(100);
    const { sent, peakRss } = await publishFor(seconds * 1000);
    await sleep(1500);
    const after = await metricsOf(port);

    const results = await Promise.all(
      workers.map(
        (w) =>
          new Promise<Extract<WorkerMessage, { type: 'done' }>>((r) => {
            w.once('message', (m: WorkerMessage) => m.type === 'done' && r(m));
            w.postMessage('stop');
          }),
      ),
    );
    await Promise.all(workers.map((w) => w.terminate()));
    const sorted = Float64Array.from(results.flatMap((r) => Array.from(r.latencies))).sort();
    const events = results.reduce((n, r) => n + r.events, 0);
    console.log(`feed fan-out: ${clients} SSE clients on one gateway, ${rate} entries/s for ${seconds} s (+2 s warm-up)`);
    console.log(`  entries published: ${sent}; events delivered: ${events} of ${sent * clients}`);
    console.log(`  publish -> client parsed: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${sorted.at(-1)?.toFixed(2)} ms`);
    console.log(`  clients dropped as slow: ${after.dropped || 0}; connections closed early: ${results.reduce((n, r) => n + r.dropped, 0)}`);
    console.log(`  gateway memory: rss ${mb(before.rss)} before clients, ${mb(idle.rss)} with ${idle.clients} idle clients, peak ${mb(Math.max(peakRss, after.rss))} under load; heap used ${mb(after.heap)} after`);
  } finally {
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    await nc.close();
    await nats.stop();
  }
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  void runClients(workerData as WorkerInput);
}
