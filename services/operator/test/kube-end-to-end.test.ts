import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@hookrelay/platform';
import { WebhookTarget, eventually, freePort } from '@hookrelay/test-support';
import { IngestConfig, startIngest } from '@hookrelay/ingest';
import { ForwarderConfig, startForwarder } from '@hookrelay/forwarder';
import { KubeOperatorHarness } from './support/kube-operator.js';

test('end to end: a webhook sent to ingest reaches the targets the WebhookRoute names, and follows an edit', async () => {
  const h = await KubeOperatorHarness.create();
  const first = await WebhookTarget.start();
  const second = await WebhookTarget.start();
  const log = createLogger('test', 'silent');
  const env = { NATS_URL: h.nats.url, INGEST_PORT: String(await freePort()), FORWARDER_PORT: '0' };
  const services: { stop(): Promise<void> }[] = [];
  try {
    h.apply({ namespace: 'team-a', name: 'github', targets: [{ name: 'ci', url: first.url('/github') }] });
    await h.start();
    await eventually(() => h.ready('team-a', 'github')?.status === 'True', { what: 'the route to be Ready' });
    services.push(await startForwarder(ForwarderConfig.parse(env), log));
    const ingest = await startIngest(IngestConfig.parse(env), log);
    services.push(ingest);

    const send = (body: string) =>
      fetch(`http://127.0.0.1:${ingest.port}/hooks/github/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const accepted = await eventually(async () => {
      const res = await send('{"n":1}');
      return res.status === 202 && res;
    }, { what: 'ingest to know the route' });
    assert.equal(accepted.status, 202);
    await first.waitFor(1);
    assert.equal(first.requests[0]?.body.toString(), '{"n":1}');
    assert.equal(first.requests[0]?.url, '/github/push');

    // Point the route at another target: the next webhook goes there, with no restart of anything.
    h.apply({ namespace: 'team-a', name: 'github', targets: [{ name: 'deploy', url: second.url('/deploy') }] });
    await eventually(async () => (await h.route('github'))?.targets[0]?.name === 'deploy', { what: 'the edit to reach KV' });
    await eventually(async () => {
      const res = await send('{"n":2}');
      if (res.status !== 202) return false;
      return second.requests.some((r) => r.body.toString() === '{"n":2}');
    }, { what: 'a webhook to reach the new target' });
    assert.ok(!first.requests.some((r) => r.body.toString() === '{"n":2}'), 'the old target gets nothing new');
  } finally {
    for (const service of services.reverse()) await service.stop();
    await first.stop();
    await second.stop();
    await h.close();
  }
});
