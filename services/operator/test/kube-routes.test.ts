import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '@hookrelay/test-support';
import { KubeOperatorHarness, LEASE_NAMESPACE } from './support/kube-operator.js';

async function withCluster(run: (h: KubeOperatorHarness) => Promise<void>): Promise<void> {
  const harness = await KubeOperatorHarness.create();
  try {
    await run(harness);
  } finally {
    await harness.close();
  }
}

const ci = { name: 'ci', url: 'http://ci.team-a.svc:8080/github' };

test('a WebhookRoute becomes a route, a consumer, a Ready status and an Event', () =>
  withCluster(async (h) => {
    h.apply({ namespace: 'team-a', name: 'github', targets: [ci] });
    await h.start();

    const ready = await eventually(() => h.ready('team-a', 'github')?.status === 'True' && h.ready('team-a', 'github'), { what: 'Ready=True' });
    assert.equal(ready.reason, 'Reconciled');
    assert.equal(ready.observedGeneration, 1);
    const object = h.api.getRoute('team-a', 'github');
    assert.deepEqual(
      { ...(object?.status as Record<string, unknown>), conditions: undefined },
      { observedGeneration: 1, projectId: 'github', webhookUrl: 'https://hooks.example.com/hooks/github', conditions: undefined },
    );

    const route = await h.route('github');
    assert.equal(route?.source, 'team-a/github');
    assert.equal(route?.generation, 1);
    assert.deepEqual(route?.targets, [ci]);
    const consumer = await h.consumer('github');
    assert.equal(consumer?.config.max_deliver, 3);
    assert.equal(consumer?.config.filter_subject, 'deliveries.github.>');

    const event = await eventually(() => h.api.events.find((e) => e.reason === 'Reconciled'), { what: 'an Event' });
    assert.equal(event.type, 'Normal');
    assert.equal((event.involvedObject as Record<string, unknown>).name, 'github');
  }));

test('an update takes effect without a restart; writing the status moves resourceVersion, not generation', () =>
  withCluster(async (h) => {
    h.apply({ namespace: 'team-a', name: 'github', targets: [ci] });
    await h.start();
    await eventually(() => h.ready('team-a', 'github')?.status === 'True', { what: 'Ready=True' });
    assert.equal(h.api.getRoute('team-a', 'github')?.metadata && (h.api.getRoute('team-a', 'github')?.metadata as { generation: number }).generation, 1);

    h.apply({ namespace: 'team-a', name: 'github', targets: [{ name: 'deploy', url: 'https://deploy.example.com/hook' }], delivery: { retry: 4 } });
    const route = await eventually(async () => {
      const r = await h.route('github');
      return r?.targets[0]?.name === 'deploy' && r;
    }, { what: 'the new target in KV' });
    assert.equal(route.generation, 2);
    assert.equal(route.delivery.attempts, 5);
    await eventually(async () => (await h.consumer('github'))?.config.max_deliver === 5, { what: 'the consumer to follow' });
    await eventually(() => h.ready('team-a', 'github')?.observedGeneration === 2, { what: 'observedGeneration 2' });
    const metadata = h.api.getRoute('team-a', 'github')?.metadata as { generation: number };
    assert.equal(metadata.generation, 2, 'status patches never bump the generation');
    assert.ok(h.api.statusPatches.length >= 2);
  }));

test('a second route claiming a taken projectId gets ProjectIdConflict and changes nothing', () =>
  withCluster(async (h) => {
    h.apply({ namespace: 'team-a', name: 'github', targets: [ci] });
    await h.start();
    await eventually(() => h.ready('team-a', 'github')?.status === 'True', { what: 'the first route' });
    h.apply({ namespace: 'team-b', name: 'github', targets: [{ name: 'other', url: 'http://other.team-b.svc/' }] });

    const conflict = await eventually(() => h.ready('team-b', 'github')?.reason === 'ProjectIdConflict' && h.ready('team-b', 'github'), {
      what: 'the conflict',
    });
    assert.equal(conflict.status, 'False');
    assert.equal(conflict.message, 'project github is already routed by team-a/github');
    const route = await h.route('github');
    assert.equal(route?.source, 'team-a/github');
    assert.deepEqual(route?.targets, [ci]);
    assert.ok(h.api.events.some((e) => e.reason === 'ProjectIdConflict' && e.type === 'Warning'));

    // When the holder goes, the waiting route takes the project.
    h.api.deleteRoute('team-a', 'github');
    await eventually(async () => (await h.route('github'))?.source === 'team-b/github', { what: 'team-b to take over' });
    await eventually(() => h.ready('team-b', 'github')?.status === 'True', { what: 'team-b Ready' });
  }));

test('an invalid spec is reported in the status and leaves the other routes working', () =>
  withCluster(async (h) => {
    h.apply({ namespace: 'team-a', name: 'good', targets: [ci] });
    // What a CRD would refuse, sent anyway (an older CRD, or none installed).
    h.apply({ namespace: 'team-a', name: 'bad', targets: [{ name: 'ci', url: 'not a url' }] });
    await h.start();
    const bad = await eventually(() => h.ready('team-a', 'bad'), { what: 'a status on the bad route' });
    assert.equal(bad.status, 'False');
    assert.equal(bad.reason, 'InvalidSpec');
    assert.match(bad.message, /spec\.targets\[0\]\.url: must be an http:\/\/ or https:\/\/ URL/);
    assert.equal(await h.route('bad'), undefined);
    await eventually(() => h.ready('team-a', 'good')?.status === 'True', { what: 'the good route' });
    assert.ok(await h.consumer('good'));
  }));

test('a route naming a missing Secret waits for it, then becomes Ready', () =>
  withCluster(async (h) => {
    h.apply({
      namespace: 'team-a',
      name: 'github',
      targets: [ci],
      extra: { verify: { type: 'github', secretRef: { name: 'github-webhook', key: 'secret' } } },
    });
    await h.start();
    const waiting = await eventually(() => h.ready('team-a', 'github')?.reason === 'SecretNotFound' && h.ready('team-a', 'github'), {
      what: 'SecretNotFound',
    });
    assert.match(waiting.message, /key "secret" of Secret github-webhook does not exist/);
    assert.equal(await h.route('github'), undefined);

    h.api.putSecret('team-a', 'github-webhook', { secret: 's3cret' });
    await eventually(() => h.ready('team-a', 'github')?.status === 'True', { what: 'Ready once the Secret exists' });
    assert.ok(await h.route('github'));
    assert.equal((await h.route('github'))?.verify?.secret, 's3cret', 'ingest verifies with the value the Secret holds');
  }));

test('deleting a WebhookRoute removes its route and consumer', () =>
  withCluster(async (h) => {
    h.apply({ namespace: 'team-a', name: 'github', targets: [ci] });
    h.apply({ namespace: 'team-a', name: 'stays', targets: [ci] });
    await h.start();
    await eventually(async () => (await h.route('github')) !== undefined, { what: 'the route' });
    h.api.deleteRoute('team-a', 'github');
    await eventually(async () => (await h.route('github')) === undefined, { what: 'the route to go' });
    await eventually(async () => (await h.consumer('github')) === undefined, { what: 'the consumer to go' });
    assert.ok(await h.route('stays'));
  }));

test('a route deleted while no operator ran is removed at the next start; local routes are left alone', () =>
  withCluster(async (h) => {
    h.apply({ namespace: 'team-a', name: 'github', targets: [ci] });
    h.apply({ namespace: 'team-a', name: 'kept', targets: [ci] });
    await h.start();
    await eventually(async () => (await h.route('github')) && (await h.route('kept')), { what: 'both routes' });
    await h.stop();

    h.api.deleteRoute('team-a', 'github');
    const local = { ...(await h.route('kept'))!, projectId: 'laptop', source: 'local/laptop.yaml' };
    await h.nats.putRoute(local);
    await h.start();
    await eventually(async () => (await h.route('github')) === undefined, { what: 'the missed delete to be applied' });
    await eventually(async () => (await h.consumer('github')) === undefined, { what: 'its consumer to go' });
    assert.ok(await h.route('kept'));
    assert.deepEqual(await h.route('laptop'), local);
  }));

test('the watch survives abrupt disconnects and a compacted resourceVersion (410 Gone)', () =>
  withCluster(async (h) => {
    await h.start();
    await eventually(() => h.api.openWatches === 1, { what: 'a watch' });

    h.api.disconnectWatches();
    h.apply({ namespace: 'team-a', name: 'after-cut', targets: [ci] });
    await eventually(async () => (await h.route('after-cut')) !== undefined, { what: 'a route created while the watch was cut' });

    // Changes made while the watch is down, then history compacted: only a relist can see them.
    h.api.compact();
    h.api.disconnectWatches();
    h.api.deleteRoute('team-a', 'after-cut');
    h.apply({ namespace: 'team-a', name: 'after-gone', targets: [ci] });
    h.api.compact();
    await eventually(async () => (await h.route('after-gone')) !== undefined, { what: 'a route created across a 410' });
    await eventually(async () => (await h.route('after-cut')) === undefined, { what: 'a delete across a 410' });
    assert.ok(h.api.goneAnswers >= 1, 'the operator resumed from a compacted resourceVersion and was told 410');
    assert.ok(h.logs.some((l) => /410 Gone/.test(l.msg)), 'and said so in its log');
    await eventually(() => h.api.openWatches === 1, { what: 'the watch to be back' });
  }));

test('two replicas: one leads and writes; when it stops, the other takes over', () =>
  withCluster(async (h) => {
    h.apply({ namespace: 'team-a', name: 'github', targets: [ci] });
    const first = await h.start('operator-a');
    const second = await h.start('operator-b');
    await eventually(() => first.isLeader() !== second.isLeader(), { what: 'exactly one leader' });
    const [leader, standby, standbyName] = first.isLeader() ? [first, second, 'operator-b'] : [second, first, 'operator-a'];
    await eventually(() => h.ready('team-a', 'github')?.status === 'True', { what: 'the leader to reconcile' });
    assert.equal(standby.statuses().length, 0, 'the standby reconciles nothing');
    assert.equal((h.api.lease(LEASE_NAMESPACE, 'hookrelay-operator')?.spec as { holderIdentity: string }).holderIdentity, leader === first ? 'operator-a' : 'operator-b');

    await h.stop(leader === first ? 'operator-a' : 'operator-b');
    await eventually(() => standby.isLeader(), { what: 'the standby to take the lease' });
    assert.equal((h.api.lease(LEASE_NAMESPACE, 'hookrelay-operator')?.spec as { holderIdentity: string }).holderIdentity, standbyName);
    h.apply({ namespace: 'team-a', name: 'later', targets: [ci] });
    await eventually(() => h.ready('team-a', 'later')?.status === 'True', { what: 'the new leader to reconcile' });
    assert.ok(await h.route('later'));
  }));

test("in Kubernetes a secret reference cannot point at the operator's own environment or files", () =>
  withCluster(async (h) => {
    h.apply({
      namespace: 'team-a',
      name: 'sneaky',
      targets: [ci],
      extra: { signing: { secretRef: { env: 'NATS_PASSWORD' } }, apiTokenSecretRef: { file: '/var/run/secrets/kubernetes.io/serviceaccount/token' } },
    });
    await h.start();
    const refused = await eventually(() => h.ready('team-a', 'sneaky'), { what: 'a status' });
    assert.equal(refused.reason, 'InvalidSpec');
    assert.match(refused.message, /spec\.signing\.secretRef \(environment variable NATS_PASSWORD\), spec\.apiTokenSecretRef \(file /);
    assert.equal(await h.route('sneaky'), undefined);
  }));
