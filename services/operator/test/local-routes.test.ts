import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '@hookrelay/test-support';
import { LocalOperatorHarness, routeYaml } from './support/local-operator.js';

const SECOND_NS = 1_000_000_000;

async function withOperator(run: (h: LocalOperatorHarness) => Promise<void>): Promise<void> {
  const harness = await LocalOperatorHarness.create();
  try {
    await run(harness);
  } finally {
    await harness.close();
  }
}

test('a route file creates the route and its delivery consumer', () =>
  withOperator(async (h) => {
    await h.writeRouteFile('github.yaml', routeYaml({ name: 'github', targets: [{ name: 'ci', url: 'http://ci.local:8080/github' }] }));
    await h.start();

    const route = await h.route('github');
    assert.ok(route, 'the KV entry exists once the operator has started');
    assert.equal(route.source, 'local/github.yaml');
    assert.equal(route.webhookUrl, 'https://hooks.example.com/hooks/github');
    assert.deepEqual(route.targets, [{ name: 'ci', url: 'http://ci.local:8080/github' }]);
    assert.equal(route.delivery.attempts, 3, 'default: 3 attempts in all');
    assert.equal(route.maxBodyBytes, 1_048_576);

    const consumer = await h.consumer('github');
    assert.ok(consumer, 'consumer route-github exists');
    assert.equal(consumer.config.filter_subject, 'deliveries.github.>');
    assert.equal(consumer.config.max_deliver, 3);
    assert.equal(consumer.config.ack_wait, 15 * SECOND_NS, 'the 10 s attempt timeout plus 5 s');
    assert.equal(consumer.config.ack_policy, 'explicit');
    assert.equal(consumer.config.deliver_policy, 'all');
    assert.equal(consumer.config.backoff, undefined, 'the forwarder naks with a delay, which needs a consumer without backoff');

    const status = h.statusOf('github.yaml');
    assert.equal(status?.ready, true);
    assert.equal(status?.reason, 'Reconciled');
    assert.equal(status?.webhookUrl, 'https://hooks.example.com/hooks/github');
  }));

test('changing a route file updates the route and its consumer without a restart', () =>
  withOperator(async (h) => {
    await h.writeRouteFile('shop.yaml', routeYaml({ name: 'shop' }));
    await h.start();
    const first = await h.route('shop');
    assert.ok(first);

    await h.writeRouteFile(
      'shop.yaml',
      routeYaml({
        name: 'shop',
        targets: [
          { name: 'orders', url: 'http://orders.local/hook' },
          { name: 'audit', url: 'https://audit.example.com/in' },
        ],
        delivery: { retry: 5, backoffPolicy: 'exponential', timeout: 'PT20S' },
      }),
    );
    const updated = await eventually(async () => {
      const route = await h.route('shop');
      return route?.targets.length === 2 && route;
    }, { what: 'the new targets in KV' });
    assert.deepEqual(updated.targets.map((t) => t.name), ['orders', 'audit']);
    assert.equal(updated.delivery.attempts, 6);
    assert.equal(updated.delivery.backoffPolicy, 'exponential');
    assert.ok(updated.generation > first.generation, 'the generation moves on with each change');

    const consumer = await eventually(async () => {
      const info = await h.consumer('shop');
      return info?.config.max_deliver === 6 && info;
    }, { what: 'the consumer to follow the new policy' });
    assert.equal(consumer.config.ack_wait, 25 * SECOND_NS);
  }));

test('removing a route file deletes the route and its consumer', () =>
  withOperator(async (h) => {
    await h.writeRouteFile('gone.yml', routeYaml({ name: 'gone' }));
    await h.writeRouteFile('stays.yaml', routeYaml({ name: 'stays' }));
    await h.start();
    assert.ok(await h.route('gone'));

    await h.removeRouteFile('gone.yml');
    await eventually(async () => (await h.route('gone')) === undefined, { what: 'the KV entry to go' });
    await eventually(async () => (await h.consumer('gone')) === undefined, { what: 'the consumer to go' });
    assert.equal(h.statusOf('gone.yml'), undefined);
    assert.ok(await h.route('stays'), 'the other route is untouched');
    assert.ok(await h.consumer('stays'));
  }));

test('a file of several documents routes each of them; a document taken out is deleted', () =>
  withOperator(async (h) => {
    await h.writeRouteFile('team.yaml', routeYaml({ name: 'one' }, { name: 'two', projectId: 'second' }));
    await h.start();
    assert.ok(await h.route('one'));
    assert.ok(await h.route('second'));
    assert.equal((await h.route('second'))?.source, 'local/team.yaml');

    await h.writeRouteFile('team.yaml', routeYaml({ name: 'one' }));
    await eventually(async () => (await h.route('second')) === undefined, { what: 'the removed document to be deleted' });
    assert.equal(await h.consumer('second'), undefined);
    assert.ok(await h.route('one'));
  }));

test('changing a projectId moves the route: the old one is deleted, the new one created', () =>
  withOperator(async (h) => {
    await h.writeRouteFile('svc.yaml', routeYaml({ name: 'svc', projectId: 'old-name' }));
    await h.start();
    assert.ok(await h.route('old-name'));

    await h.writeRouteFile('svc.yaml', routeYaml({ name: 'svc', projectId: 'new-name' }));
    await eventually(async () => (await h.route('new-name')) !== undefined, { what: 'the new route' });
    await eventually(async () => (await h.route('old-name')) === undefined, { what: 'the old route to go' });
    assert.ok(await h.consumer('new-name'));
    assert.equal(await h.consumer('old-name'), undefined);
  }));

test('invalid files are reported with the reason and leave the valid routes working', () =>
  withOperator(async (h) => {
    await h.writeRouteFile('good.yaml', routeYaml({ name: 'good' }));
    await h.writeRouteFile('broken-yaml.yaml', 'apiVersion: hookrelay.dev/v1alpha1\nkind: WebhookRoute\nspec: [unclosed\n');
    await h.writeRouteFile('bad-url.yaml', routeYaml({ name: 'bad-url', targets: [{ name: 'main', url: 'not a url' }] }));
    await h.writeRouteFile('dotted.yaml', routeYaml({ name: 'dotted', projectId: 'team.github' }));
    await h.start();

    assert.equal(h.statusOf('broken-yaml.yaml')?.reason, 'InvalidYaml');
    assert.match(h.statusOf('broken-yaml.yaml')?.message ?? '', /invalid YAML/);

    const badUrl = h.statusOf('bad-url.yaml');
    assert.equal(badUrl?.ready, false);
    assert.equal(badUrl?.reason, 'InvalidSpec');
    assert.match(badUrl?.message ?? '', /spec\.targets\[0\]\.url: must be an http:\/\/ or https:\/\/ URL/);
    assert.equal(await h.route('bad-url'), undefined);

    const dotted = h.statusOf('dotted.yaml');
    assert.equal(dotted?.reason, 'InvalidSpec');
    assert.match(dotted?.message ?? '', /spec\.projectId: must be a DNS label/);

    // Each is in the log, with the file and the reason.
    for (const file of ['broken-yaml.yaml', 'bad-url.yaml', 'dotted.yaml']) {
      const line = h.logs.find((l) => l.file === file);
      assert.ok(line, `a log line names ${file}`);
      assert.ok(line.reason === 'InvalidYaml' || line.reason === 'InvalidSpec');
      assert.match(line.msg, /route not ready/);
    }

    // The valid route was written and keeps following its file.
    assert.equal(h.statusOf('good.yaml')?.ready, true);
    assert.ok(await h.consumer('good'));
    await h.writeRouteFile('good.yaml', routeYaml({ name: 'good', targets: [{ name: 'next', url: 'http://next.local/' }] }));
    await eventually(async () => (await h.route('good'))?.targets[0]?.name === 'next', { what: 'the valid route to change' });
  }));

test('a metadata.name that is no projectId is refused with a hint', () =>
  withOperator(async (h) => {
    await h.writeRouteFile('dots.yaml', routeYaml({ name: 'github.team-a' }));
    await h.start();
    const status = h.statusOf('dots.yaml');
    assert.equal(status?.reason, 'InvalidSpec');
    assert.match(status?.message ?? '', /metadata\.name: must be a DNS label.*set spec\.projectId/);
  }));

test('an invalid edit keeps the last valid version of the route in effect', () =>
  withOperator(async (h) => {
    await h.writeRouteFile('live.yaml', routeYaml({ name: 'live', targets: [{ name: 'main', url: 'http://live.local/' }] }));
    await h.start();
    await h.writeRouteFile('live.yaml', routeYaml({ name: 'live', targets: [{ name: 'main', url: 'live.local without a scheme' }] }));
    await eventually(() => h.statusOf('live.yaml')?.reason === 'InvalidSpec', { what: 'the edit to be refused' });
    assert.equal((await h.route('live'))?.targets[0]?.url, 'http://live.local/');
    assert.ok(await h.consumer('live'));
  }));

test('a second file claiming a taken projectId gets ProjectIdConflict; the first keeps it', () =>
  withOperator(async (h) => {
    await h.writeRouteFile('a.yaml', routeYaml({ name: 'github', targets: [{ name: 'first', url: 'http://first.local/' }] }));
    await h.start();
    await h.writeRouteFile('b.yaml', routeYaml({ name: 'other', projectId: 'github', targets: [{ name: 'second', url: 'http://second.local/' }] }));

    const conflict = await eventually(() => h.statusOf('b.yaml')?.reason === 'ProjectIdConflict' && h.statusOf('b.yaml'), {
      what: 'the conflict to be reported',
    });
    assert.equal(conflict.ready, false);
    assert.equal(conflict.message, 'project github is already routed by local/a.yaml');
    const route = await h.route('github');
    assert.equal(route?.source, 'local/a.yaml');
    assert.equal(route?.targets[0]?.name, 'first');
    assert.ok(h.logs.some((l) => l.file === 'b.yaml' && l.reason === 'ProjectIdConflict' && l.projectId === 'github'));

    // Once the holder lets go, the waiting file takes the project over.
    await h.removeRouteFile('a.yaml');
    await eventually(async () => (await h.route('github'))?.source === 'local/b.yaml', { what: 'b.yaml to take the project' });
    assert.equal(h.statusOf('b.yaml')?.ready, true);
    assert.ok(await h.consumer('github'));
  }));

test('a route held by a Kubernetes object is never taken over or deleted by local mode', () =>
  withOperator(async (h) => {
    const held = {
      projectId: 'stripe',
      source: 'team-b/stripe',
      generation: 4,
      targets: [{ name: 'billing', url: 'http://billing.team-b.svc/' }],
      delivery: { attempts: 3, backoffPolicy: 'fixed' as const, backoffDelayMs: 2000, backoffMaxMs: 3_600_000, retryAfterMaxMs: 600_000, timeoutMs: 10_000 },
      maxBodyBytes: 1_048_576,
      webhookUrl: 'https://hooks.example.com/hooks/stripe',
    };
    await h.putRoute(held);
    await h.writeRouteFile('stripe.yaml', routeYaml({ name: 'stripe' }));
    await h.start();
    assert.equal(h.statusOf('stripe.yaml')?.message, 'project stripe is already routed by team-b/stripe');
    await h.removeRouteFile('stripe.yaml');
    await eventually(() => h.statusOf('stripe.yaml') === undefined, { what: 'the file to be forgotten' });
    assert.deepEqual(await h.route('stripe'), held);
  }));

test('a file deleted while the operator was stopped is cleaned up at the next start', () =>
  withOperator(async (h) => {
    await h.writeRouteFile('kept.yaml', routeYaml({ name: 'kept' }));
    await h.writeRouteFile('removed.yaml', routeYaml({ name: 'removed' }));
    await h.start();
    assert.ok(await h.route('removed'));
    await h.stopOperator();

    await h.removeRouteFile('removed.yaml');
    await h.start();
    assert.equal(await h.route('removed'), undefined, 'deleted before the start completes');
    assert.equal(await h.consumer('removed'), undefined);
    assert.ok(await h.route('kept'));
    assert.ok(await h.consumer('kept'));
  }));

test('health, readiness and route metrics are served', () =>
  withOperator(async (h) => {
    await h.writeRouteFile('ok.yaml', routeYaml({ name: 'ok' }));
    await h.writeRouteFile('bad.yaml', routeYaml({ name: 'bad', targets: [] }));
    const operator = await h.start();
    const base = `http://127.0.0.1:${operator.port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /hookrelay_operator_routes\{ready="true"[^}]*\} 1/);
    assert.match(metrics, /hookrelay_operator_routes\{ready="false"[^}]*\} 1/);
    assert.match(metrics, /hookrelay_operator_reconciles_total\{result="invalid"[^}]*\} 1/);
  }));

test('a route whose secret is missing waits for it, then routes with it', () =>
  withOperator(async (h) => {
    const variable = `HOOKRELAY_TEST_SECRET_${process.pid}`;
    delete process.env[variable];
    await h.writeRouteFile(
      'signed.yaml',
      routeYaml({ name: 'signed', extra: { verify: { type: 'hmac-sha256', secretRef: { env: variable } } } }),
    );
    await h.start();
    const waiting = h.statusOf('signed.yaml');
    assert.equal(waiting?.reason, 'SecretNotFound');
    assert.equal(waiting?.message, `spec.verify.secretRef: environment variable ${variable} does not exist`);
    assert.equal(await h.route('signed'), undefined);

    process.env[variable] = 'shh-its-a-secret';
    try {
      await eventually(() => h.statusOf('signed.yaml')?.ready === true, { what: 'the route once the secret exists' });
      // The resolved value travels in the route, so ingest can verify without reading secrets itself.
      assert.equal((await h.route('signed'))?.verify?.type, 'hmac-sha256');
    } finally {
      delete process.env[variable];
    }
  }));
