// Who may call what: every endpoint with no token, a wrong token, another project's token, its own project's
// read token and the admin token; then what a bad request gets back. Tokens never reach the log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { WebhookSummary } from '@hookrelay/schemas';
import { WebhookTarget, eventually, sleep } from '@hookrelay/test-support';
import { ADMIN_TOKEN, GatewayRelay, projectToken } from '../../services/gateway/test/support/gateway-relay.js';
import { SseClient } from '../../services/gateway/test/support/sse-client.js';

const WRONG_TOKEN = 'not-a-token-anyone-was-given-0000';

interface Endpoint {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** A Server-Sent Events feed. */
  feed?: boolean;
  /** Names no project: a project token is narrowed to its own project rather than refused. */
  unscoped?: boolean;
}

interface ErrorBody {
  error: { code: string; message: string; details?: { path: (string | number)[]; message: string }[] };
}

describe('gateway: tokens and bad requests', () => {
  let g: GatewayRelay;
  let target: WebhookTarget;
  let alphaId: string;
  let betaId: string;
  let endpoints: Endpoint[];
  const logLines: string[] = [];

  before(async () => {
    const gatewayLog = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
    g = await GatewayRelay.start({ projectTokens: ['alpha', 'beta'], gatewayLog });
    target = await WebhookTarget.start();
    await g.route('alpha', [{ name: 'main', url: target.url() }]);
    await g.route('beta', [{ name: 'main', url: target.url() }]);
    alphaId = await g.send('alpha');
    betaId = await g.send('beta');
    await eventually(async () => {
      const { items } = await g.json<{ items: WebhookSummary[] }>('/webhooks');
      return [alphaId, betaId].every((id) => items.some((w) => w.id === id && w.status === 'forwarded'));
    }, { what: 'both webhooks forwarded' });
    endpoints = [
      { method: 'GET', path: '/webhooks', unscoped: true },
      { method: 'GET', path: '/webhooks?projectId=alpha' },
      { method: 'GET', path: '/webhooks/failed', unscoped: true },
      { method: 'GET', path: '/webhooks/failed?projectId=alpha' },
      { method: 'GET', path: `/webhooks/${alphaId}` },
      { method: 'GET', path: '/projects', unscoped: true },
      { method: 'POST', path: `/webhooks/${alphaId}/replay`, body: {} },
      { method: 'POST', path: `/webhooks/${alphaId}/retry` },
      { method: 'POST', path: '/webhooks/retry', body: { projectId: 'alpha' } },
      { method: 'GET', path: '/feed', feed: true, unscoped: true },
      { method: 'GET', path: '/projects/alpha/feed', feed: true },
    ];
  });
  after(async () => {
    await target.stop();
    await g.stop();
  });

  /** The status (and body, unless a feed) an endpoint answers with this token. */
  async function call(endpoint: Endpoint, token: string | null): Promise<{ status: number; body: unknown; headers: Headers }> {
    if (endpoint.feed) {
      const client = await SseClient.connect(`${g.baseUrl}${endpoint.path}`, token === null ? {} : { token });
      const { status, headers } = client.response;
      const body = status === 200 ? undefined : await client.response.json();
      await client.close();
      return { status, body, headers };
    }
    const res = await g.api(endpoint.path, { token, method: endpoint.method, ...(endpoint.body !== undefined ? { body: endpoint.body } : {}) });
    return { status: res.status, body: await res.json(), headers: res.headers };
  }

  const label = (e: Endpoint) => `${e.method} ${e.path.replace(alphaId, ':id')}`;

  test('no token: 401 on every endpoint, with a WWW-Authenticate challenge', async () => {
    for (const endpoint of endpoints) {
      const { status, body, headers } = await call(endpoint, null);
      assert.equal(status, 401, label(endpoint));
      assert.equal((body as ErrorBody).error.code, 'unauthorized', label(endpoint));
      assert.match(headers.get('www-authenticate') ?? '', /^Bearer/, label(endpoint));
    }
  });

  test('a wrong token: 401 on every endpoint', async () => {
    for (const endpoint of endpoints) {
      const { status } = await call(endpoint, WRONG_TOKEN);
      assert.equal(status, 401, label(endpoint));
    }
    assert.equal((await g.api('/webhooks', { token: null, headers: { authorization: `Basic ${ADMIN_TOKEN}` } })).status, 401);
  });

  test("another project's token: 403 for this project's data and for any change; its own project only elsewhere", async () => {
    const beta = projectToken('beta');
    for (const endpoint of endpoints) {
      const { status, body } = await call(endpoint, beta);
      if (endpoint.method === 'POST' || !endpoint.unscoped) {
        assert.equal(status, 403, label(endpoint));
        assert.equal((body as ErrorBody).error.code, 'forbidden', label(endpoint));
      } else {
        assert.equal(status, 200, label(endpoint));
      }
    }
    const { items } = await g.json<{ items: WebhookSummary[] }>('/webhooks', { token: beta });
    assert.ok(items.some((w) => w.id === betaId));
    assert.ok(items.every((w) => w.projectId === 'beta'), 'only its own project');
    const { projects } = await g.json<{ projects: { projectId: string }[] }>('/projects', { token: beta });
    assert.deepEqual(projects.map((p) => p.projectId), ['beta']);

    const feed = await SseClient.live(`${g.baseUrl}/feed`, { token: beta });
    const [newAlpha, newBeta] = [await g.send('alpha'), await g.send('beta')];
    await feed.waitFor((c) => c.feed.some((e) => e.entry.id === newBeta), 'its own project on the feed');
    await sleep(300);
    assert.ok(!feed.feed.some((e) => e.entry.id === newAlpha), "never another project's webhook");
    await feed.close();
  });

  test("its own project's token reads its project, and cannot replay or retry (a read token)", async () => {
    const alpha = projectToken('alpha');
    for (const endpoint of endpoints) {
      const { status } = await call(endpoint, alpha);
      assert.equal(status, endpoint.method === 'POST' ? 403 : 200, label(endpoint));
    }
    const detail = await g.json<{ webhook: { id: string } }>(`/webhooks/${alphaId}`, { token: alpha });
    assert.equal(detail.webhook.id, alphaId);
  });

  test('the admin token reaches everything', async () => {
    const expected: Record<string, number> = {
      [`POST /webhooks/:id/replay`]: 202,
      [`POST /webhooks/:id/retry`]: 409, // it was forwarded: nothing to retry
      [`POST /webhooks/retry`]: 202,
    };
    for (const endpoint of endpoints) {
      const { status } = await call(endpoint, ADMIN_TOKEN);
      assert.equal(status, expected[label(endpoint)] ?? 200, label(endpoint));
    }
  });

  test("a route's apiTokenSecretRef gives a read token for that project, resolved by the operator", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hookrelay-token-'));
    const token = 'gamma-read-token-from-a-secret-0123';
    await writeFile(join(dir, 'token'), `${token}\n`);
    await g.route('gamma', [{ name: 'main', url: target.url() }], { apiTokenSecretRef: { file: join(dir, 'token') } });
    const gammaId = await g.send('gamma');
    const detail = await eventually(() => g.json<{ webhook: { projectId: string } }>(`/webhooks/${gammaId}`, { token }), {
      what: 'the gamma token to read gamma',
    });
    assert.equal(detail.webhook.projectId, 'gamma');
    assert.equal((await g.api(`/webhooks/${alphaId}`, { token })).status, 403);
    assert.equal((await g.api(`/webhooks/${gammaId}/replay`, { token, method: 'POST' })).status, 403, 'a read token');
    await rm(dir, { recursive: true, force: true });
  });

  test('?access_token= works on the feeds only; health, metrics and the OpenAPI document need no token', async () => {
    const viaQuery = await SseClient.connect(`${g.baseUrl}/projects/alpha/feed?access_token=${projectToken('alpha')}`);
    assert.equal(viaQuery.response.status, 200);
    await viaQuery.close();
    const wrongQuery = await fetch(`${g.baseUrl}/feed?access_token=${WRONG_TOKEN}`);
    assert.equal(wrongQuery.status, 401);
    const rest = await fetch(`${g.baseUrl}/webhooks?access_token=${ADMIN_TOKEN}`);
    assert.equal(rest.status, 401);
    assert.match(((await rest.json()) as ErrorBody).error.message, /feeds only/);
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      assert.equal((await fetch(`${g.baseUrl}${path}`)).status, 200, path);
    }
    const openapi = (await (await fetch(`${g.baseUrl}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(openapi.openapi, '3.1.0');
    assert.ok(openapi.paths['/webhooks/{id}/replay']);
  });

  test('bad parameters: 400 with the zod issues; unknown id or path: 404; wrong body: 400, 413 or 415', async () => {
    const expectError = async (path: string, status: number, code: string, options: Parameters<GatewayRelay['api']>[1] = {}) => {
      const res = await g.api(path, options);
      const body = (await res.json()) as ErrorBody;
      assert.equal(res.status, status, `${path}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, code, path);
      assert.equal(typeof body.error.message, 'string');
      return body;
    };
    const limit = await expectError('/webhooks?limit=0', 400, 'invalid_request');
    assert.deepEqual(limit.error.details?.map((i) => i.path), [['limit']]);
    const many = await expectError('/webhooks?since=yesterday&status=nope&colour=red', 400, 'invalid_request');
    assert.deepEqual(new Set(many.error.details?.map((i) => String(i.path[0] ?? '(the query)'))), new Set(['since', 'status', '(the query)']));
    await expectError('/webhooks?since=1960-01-01T00:00:00Z', 400, 'invalid_request');
    await expectError('/webhooks?cursor=bm90LWEtY3Vyc29y', 400, 'invalid_request');
    await expectError('/webhooks/not*an*id', 400, 'invalid_request');
    await expectError('/webhooks/01900000-0000-7000-8000-000000000000', 404, 'webhook_not_found');
    await expectError('/webhooks/01900000-0000-7000-8000-000000000000/replay', 404, 'webhook_not_found', { method: 'POST' });
    await expectError('/nowhere', 404, 'not_found');
    const badTarget = await expectError(`/webhooks/${alphaId}/replay`, 400, 'invalid_request', { method: 'POST', body: { target: 'Not A Name' } });
    assert.deepEqual(badTarget.error.details?.map((i) => i.path), [['target']]);
    await expectError(`/webhooks/${alphaId}/replay`, 400, 'invalid_request', { method: 'POST', body: '{not json' });
    await expectError(`/webhooks/${alphaId}/replay`, 415, 'unsupported_media_type', {
      method: 'POST',
      body: 'target=main',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await expectError('/webhooks/retry', 413, 'payload_too_large', { method: 'POST', body: { projectId: 'alpha', pad: 'x'.repeat(20_000) } });
    await expectError('/webhooks/retry', 400, 'invalid_request', { method: 'POST', body: { statuses: ['forwarded'], limit: 0 } });
  });

  test('requests are counted by route pattern and status, refusals included', async () => {
    const metrics = await (await fetch(`${g.baseUrl}/metrics`)).text();
    const count = (route: string, code: string) =>
      metrics.split('\n').some((l) => l.startsWith('hookrelay_gateway_requests_total{') && l.includes(`route="${route}"`) && l.includes(`code="${code}"`));
    assert.ok(count('/webhooks/:id', '401'), 'a refused request under its route');
    assert.ok(count('/webhooks/:id', '200'));
    assert.ok(count('/webhooks/:id/replay', '403'));
    assert.ok(count('/feed', '200'));
    assert.ok(!metrics.includes(alphaId), 'no webhook id in a label');
  });

  test('no token, right or wrong, ever reaches the log', () => {
    const log = logLines.join('');
    assert.ok(logLines.length > 20, 'the gateway logged requests');
    for (const token of [ADMIN_TOKEN, projectToken('alpha'), projectToken('beta'), WRONG_TOKEN, 'gamma-read-token-from-a-secret-0123']) {
      assert.ok(!log.includes(token), 'a token appeared in the log');
    }
  });
});
