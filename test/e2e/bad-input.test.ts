import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebhookTarget, eventually, sleep } from '@hookrelay/test-support';
import { TestRelay, routeYaml } from '../support/relay.js';

type ErrorBody = { error: { code: string; message: string } };

describe('bad input gets a clear error and disturbs nothing else', () => {
  let relay: TestRelay;
  let target: WebhookTarget;
  before(async () => {
    target = await WebhookTarget.start();
    relay = await TestRelay.start({
      routes: { 'good.yaml': routeYaml('good', { targets: [{ name: 'main', url: target.url() }], maxBodyBytes: 1024 }) },
    });
    await relay.routeReady('good');
  });
  after(async () => {
    await relay.stop();
    await target.stop();
  });

  test('an unknown project is 404 with a JSON error', async () => {
    const res = await relay.post('nobody', { body: 'x' });
    assert.equal(res.status, 404);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error.code, 'route_not_found');
    assert.match(body.error.message, /nobody/);
  });

  test('a projectId with ".", "*", ">" or other non-DNS characters is refused with 400', async () => {
    for (const id of ['good.evil', '*', '%3E', 'a%2Eb', 'UPPER', 'a_b', '-lead']) {
      const res = await relay.post(id, { body: 'x' });
      assert.equal(res.status, 400, `projectId ${id}`);
      assert.equal(((await res.json()) as ErrorBody).error.code, 'invalid_project_id');
    }
  });

  test("a body over the route's limit is 413, whether declared or streamed", async () => {
    const res = await relay.post('good', { body: 'x'.repeat(2000) });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as ErrorBody).error.code, 'payload_too_large');
    const streamed = await relay.post('good', {
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(600));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);
  });

  test('a malformed route file and a target URL that does not parse leave the good route working', async () => {
    await relay.writeRoute('broken.yaml', 'apiVersion: hookrelay.dev/v1alpha1\nkind: WebhookRoute\nmetadata: {name: [unclosed\n');
    await relay.writeRoute('badurl.yaml', routeYaml('badurl', { targets: [{ name: 'main', url: 'not a url' }] }));
    await sleep(2500); // the operator has rescanned the folder by now
    assert.equal((await relay.post('badurl', { body: 'x' })).status, 404, 'an invalid route is not served');
    const before = target.requests.length;
    const res = await relay.post('good', { body: 'still fine' });
    assert.equal(res.status, 202);
    await eventually(() => target.requests.length > before);
    assert.equal(target.requests.at(-1)!.body.toString(), 'still fine');
  });

  test('other paths are 404 with a hint, and health endpoints answer', async () => {
    const res = await fetch(relay.url('/elsewhere'));
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as ErrorBody).error.message, /\/hooks\//);
    assert.equal((await fetch(relay.url('/healthz'))).status, 200);
    assert.equal((await fetch(relay.url('/readyz'))).status, 200);
    const metrics = await (await fetch(relay.url('/metrics'))).text();
    assert.match(metrics, /hookrelay_ingest_requests_total\{project="good",code="202"/);
  });
});
