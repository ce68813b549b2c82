import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebhookTarget, eventually, sleep } from '@hookrelay/test-support';
import { TestRelay, routeYaml } from '../support/relay.js';

const delivered = (target: WebhookTarget) => new Set(target.requests.map((r) => r.headers['webhook-id'] as string));

function report(name: string, accepted: Set<string>, target: WebhookTarget, extra = '') {
  const duplicates = target.requests.length - delivered(target).size;
  console.log(`# ${name}: ${accepted.size} accepted, ${delivered(target).size} delivered, ${duplicates} duplicate deliveries ${extra}`);
}

describe('durability', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  });

  test('SIGKILL of every service with 1,000 webhooks in flight: every 202 reaches the target after a restart', async () => {
    // A slowish target keeps deliveries in flight when the services die.
    const target = await WebhookTarget.start(() => ({ status: 200, delayMs: 20 }));
    cleanup.push(() => target.stop());
    const relay = await TestRelay.start({
      services: [],
      routes: { 'durable.yaml': routeYaml('durable', { targets: [{ name: 'main', url: target.url() }] }) },
    });
    cleanup.push(() => relay.stop());
    for (const name of ['operator', 'forwarder', 'ingest'] as const) await relay.spawnService(name);
    await relay.routeReady('durable');
    await eventually(async () => (await relay.post('durable', { body: 'warm-up' })).status === 202, { what: 'ingest accepts' });

    const accepted = new Set<string>();
    let refused = 0;
    let killed = false;
    const sendOne = async (i: number) => {
      try {
        const res = await relay.post('durable', { body: JSON.stringify({ i }), headers: { 'content-type': 'application/json' } });
        if (res.status === 202) accepted.add(((await res.json()) as { id: string }).id);
        else refused++;
      } catch {
        refused++; // connection refused or reset: the sender knows it was not accepted
      }
    };
    let next = 0;
    const workers = Array.from({ length: 50 }, async () => {
      while (next < 1000) {
        await sendOne(next++);
        if (!killed && accepted.size >= 600) {
          killed = true;
          await Promise.all((['ingest', 'forwarder', 'operator'] as const).map((n) => relay.killService(n)));
        }
      }
    });
    await Promise.all(workers);
    assert.ok(killed, 'the services were killed mid-run');
    const deliveredBeforeRestart = delivered(target).size;
    assert.ok(deliveredBeforeRestart < accepted.size, 'some accepted webhooks were still in flight at the kill');

    for (const name of ['operator', 'forwarder', 'ingest'] as const) await relay.spawnService(name);
    await eventually(() => [...accepted].every((id) => delivered(target).has(id)), {
      timeoutMs: 90_000,
      what: 'every accepted webhook delivered after the restart',
    });
    report('SIGKILL', accepted, target, `(${refused} refused while down, ${deliveredBeforeRestart} delivered before the kill)`);
  });

  test('nats-server killed and restarted mid-run: ingest answers 503 (never a lost 202) and recovers by itself', async () => {
    const target = await WebhookTarget.start();
    cleanup.push(() => target.stop());
    const relay = await TestRelay.start({
      routes: { 'steady.yaml': routeYaml('steady', { targets: [{ name: 'main', url: target.url() }] }) },
    });
    cleanup.push(() => relay.stop());
    await relay.routeReady('steady');

    const accepted = new Set<string>();
    // `at` is when the request was sent: one sent while NATS is down must not get a 202.
    const statuses: { at: number; status: number }[] = [];
    let sending = true;
    // Several senders, so a request stuck on a publish at the moment of the kill does not hold up the others.
    const sender = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (sending) {
          const at = Date.now();
          const res = await relay.post('steady', { body: 'tick' }).catch(() => undefined);
          statuses.push({ at, status: res?.status ?? 0 });
          if (res?.status === 202) accepted.add(((await res.json()) as { id: string }).id);
          else await res?.arrayBuffer();
          await sleep(10);
        }
      }),
    );
    await sleep(1000);
    const killedAt = Date.now();
    await relay.nats.kill();
    await sleep(3000);
    const restartedAt = Date.now();
    await relay.nats.start();
    await eventually(() => statuses.some((s) => s.at > restartedAt && s.status === 202), {
      timeoutMs: 30_000,
      what: 'ingest to accept again after nats-server restarted',
    });
    await sleep(1000);
    sending = false;
    await sender;

    const duringOutage = statuses.filter((s) => s.at > killedAt + 500 && s.at < restartedAt);
    assert.ok(duringOutage.length > 0, 'requests were sent while NATS was down');
    assert.ok(duringOutage.every((s) => s.status === 503), `only 503 while NATS is down, saw ${[...new Set(duringOutage.map((s) => s.status))].join(',')}`);
    await eventually(() => [...accepted].every((id) => delivered(target).has(id)), {
      timeoutMs: 60_000,
      what: 'every accepted webhook delivered',
    });
    report('nats restart', accepted, target, `(${duringOutage.length} answered 503 during the outage)`);
  });
});
