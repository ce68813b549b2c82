// Benchmark: webhooks accepted (202 after a durable JetStream ack) and delivered per second at full load, and
// accept-to-delivery latency at a steady 1,000/s. Every service runs in its own process beside a private
// nats-server, as `npm start` runs them. Prints figures; asserts nothing about time.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { sleep, eventually } from '@hookrelay/test-support';
import { TestRelay, routeYaml, type ProcessServiceName } from '../support/relay.js';
import type { SinkRequest, SinkStats } from './sink.js';

const PAD = 'x'.repeat(960);
const BODY = JSON.stringify({ event: 'order.created', pad: PAD }); // ~1 KiB
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

/** The webhook target, a child process (sink.ts): counts deliveries, records latencies. */
class Sink {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<Sink> {
    const child = fork(join(import.meta.dirname, 'sink.ts'), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
    return new Sink(child, port);
  }

  stats(): Promise<SinkStats> {
    return new Promise((resolve) => {
      this.child.once('message', (m: SinkStats) => resolve(m));
      this.child.send({ type: 'stats' } satisfies SinkRequest);
    });
  }

  resetLatencies(): void {
    this.child.send({ type: 'reset-latencies' } satisfies SinkRequest);
  }

  stop(): void {
    this.child.kill();
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function cannon(url: string, opts: Partial<autocannon.Options>): Promise<autocannon.Result> {
  return autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, ...opts });
}

async function waitDrained(sink: Sink, expected: number, timeoutMs = 60_000): Promise<boolean> {
  try {
    await eventually(async () => (await sink.stats()).count >= expected, { timeoutMs, intervalMs: 200 });
    return true;
  } catch {
    return false;
  }
}

async function fullLoad(relay: TestRelay, sink: Sink) {
  const url = relay.url('/hooks/bench');
  const before = (await sink.stats()).count;
  const started = Date.now();
  const result = await cannon(url, { connections: 128, duration: SECONDS });
  const accepted = result['2xx'];
  const acceptedPerSec = accepted / ((Date.now() - started) / 1000);
  const allDelivered = await waitDrained(sink, before + accepted);
  const after = (await sink.stats()).count;
  const deliveredPerSec = (after - before) / ((Date.now() - started) / 1000);
  return { acceptedPerSec, deliveredPerSec, accepted, non2xx: result.non2xx, errors: result.errors, lost: allDelivered ? 0 : before + accepted - after };
}

/**
 * An open-loop load at a steady rate: requests go out evenly spaced (every ms, the ones due by then), whatever
 * the answers do. autocannon's overallRate sends each second's quota in a burst at the top of the second,
 * which measures a burst's queueing, not a steady rate.
 */
async function paced(pool: Pool, path: string, rate: number, seconds: number): Promise<{ accepted: number; acceptLatencies: number[] }> {
  const total = rate * seconds;
  const acceptLatencies: number[] = [];
  let sent = 0;
  let accepted = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
    for (; sent < due; sent++) {
      const t = performance.timeOrigin + performance.now();
      inFlight.push(
        pool
          .request({ path, method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"t":${t},"pad":"${PAD}"}` })
          .then(async (res) => {
            await res.body.dump();
            if (res.statusCode === 202) {
              accepted++;
              acceptLatencies.push(performance.timeOrigin + performance.now() - t);
            }
          })
          .catch(() => undefined),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  return { accepted, acceptLatencies };
}

async function steadyLatency(pool: Pool, sink: Sink, rate: number) {
  sink.resetLatencies();
  const before = (await sink.stats()).count;
  const { accepted, acceptLatencies } = await paced(pool, '/hooks/bench', rate, SECONDS);
  await waitDrained(sink, before + accepted);
  const sorted = [...(await sink.stats()).latencies].sort((a, b) => a - b);
  const accept = acceptLatencies.sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    samples: sorted.length,
    accepted,
    acceptP50: percentile(accept, 50),
    acceptP99: percentile(accept, 99),
  };
}

/** Waits until every consumer has caught up (state's too), so one run's backlog does not weigh on the next. */
async function settled(relay: TestRelay): Promise<void> {
  await eventually(
    async () => {
      for (const stream of ['WEBHOOKS', 'EVENTS', 'DELIVERIES']) {
        for await (const c of relay.jsm.consumers.list(stream)) if (c.num_pending + c.num_ack_pending > 0) return false;
      }
      return true;
    },
    { timeoutMs: 180_000, intervalMs: 250, what: 'every consumer caught up' },
  );
  await sleep(1000);
}

async function main() {
  const sink = await Sink.start();
  const relay = await TestRelay.start({
    services: [],
    routes: { 'bench.yaml': routeYaml('bench', { targets: [{ name: 'sink', url: `http://127.0.0.1:${sink.port}/in` }] }) },
  });
  // The whole relay that forwards and keeps history; the gateway has its own benchmark (feed fan-out).
  const services = (process.env.BENCH_SERVICES ?? 'operator,state,forwarder,ingest').split(',') as ProcessServiceName[];
  for (const name of services) await relay.spawnService(name);
  await relay.routeReady('bench');
  console.log(`relay: ${services.join(', ')} (one process each) + nats-server ${relay.nats.url}; ${RUNS} runs of ${SECONDS}s; 1 KiB JSON bodies`);

  console.log('warming up…');
  await cannon(relay.url('/hooks/bench'), { connections: 64, duration: 5 });
  // One pool for every steady run, warmed too: new connections and a cold generator add their own tail.
  const pool = new Pool(new URL(relay.url('/')).origin, { connections: 64, pipelining: 1 });
  await settled(relay);
  await paced(pool, '/hooks/bench', 1000, 3);

  const lat = [];
  for (let i = 0; i < RUNS; i++) {
    await settled(relay);
    const r = await steadyLatency(pool, sink, 1000);
    lat.push(r);
    console.log(
      `steady 1000/s run ${i + 1}: accept-to-delivery p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (${r.samples} samples); ` +
        `the 202 itself p50 ${r.acceptP50.toFixed(2)} ms, p99 ${r.acceptP99.toFixed(2)} ms`,
    );
  }
  await settled(relay);
  const loads = [];
  for (let i = 0; i < RUNS; i++) {
    await settled(relay);
    const r = await fullLoad(relay, sink);
    loads.push(r);
    console.log(`full load run ${i + 1}: accepted ${r.acceptedPerSec.toFixed(0)}/s, delivered ${r.deliveredPerSec.toFixed(0)}/s, non-2xx ${r.non2xx}, errors ${r.errors}, lost ${r.lost}`);
  }
  const accepted = median(loads.map((r) => r.acceptedPerSec));
  const delivered = median(loads.map((r) => r.deliveredPerSec));
  const p99 = median(lat.map((r) => r.p99));
  const lost = loads.reduce((n, r) => n + r.lost, 0);
  console.log('\nmedians                         measured      aim');
  console.log(`accepted/s at full load        ${accepted.toFixed(0).padStart(9)}   >= 5000`);
  console.log(`delivered/s at full load       ${delivered.toFixed(0).padStart(9)}   >= 5000`);
  console.log(`accept-to-delivery p50 @1000/s ${median(lat.map((r) => r.p50)).toFixed(2).padStart(9)} ms`);
  console.log(`accept-to-delivery p99 @1000/s ${p99.toFixed(2).padStart(9)} ms  < 10 ms`);
  console.log(`webhooks lost                  ${String(lost).padStart(9)}   0`);
  await pool.close();
  await relay.stop();
  sink.stop();
}

await main();
