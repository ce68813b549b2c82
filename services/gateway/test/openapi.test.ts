import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { openApiDocument } from '../src/index.js';
import { webhookDetailView } from '../src/routes/webhooks.js';
import { retryDeliveryId } from '../src/replay.js';

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; required: boolean; schema: unknown; explode?: boolean }[] }>>;
  components: { schemas: Record<string, object> };
}

const doc = openApiDocument() as unknown as Doc;

function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  for (const [id, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema, `#/components/schemas/${id}`);
  return (id: string, value: unknown) => {
    const validate = ajv.getSchema(`#/components/schemas/${id}`);
    assert.ok(validate, id);
    const ok = validate(value);
    return ok ? [] : (validate.errors ?? []);
  };
}

describe('the OpenAPI document', () => {
  it('describes every endpoint of the API', () => {
    assert.equal(doc.openapi, '3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    for (const op of [
      'GET /webhooks',
      'GET /webhooks/failed',
      'GET /webhooks/{id}',
      'POST /webhooks/{id}/replay',
      'POST /webhooks/{id}/retry',
      'POST /webhooks/retry',
      'GET /projects',
      'GET /feed',
      'GET /projects/{projectId}/feed',
      'GET /openapi.json',
    ]) {
      assert.ok(operations.includes(op), op);
    }
  });

  it('takes its parameters from the zod schemas the handlers parse with', () => {
    const list = doc.paths['/webhooks']!.get!.parameters!;
    assert.deepEqual(list.map((p) => p.name).sort(), ['cursor', 'dedupeKey', 'limit', 'projectId', 'since', 'status', 'until']);
    assert.ok(list.every((p) => p.in === 'query' && !p.required));
    const status = list.find((p) => p.name === 'status')!;
    assert.equal(status.explode, true);
    assert.match(JSON.stringify(status.schema), /"dlq"/);
    const feed = doc.paths['/projects/{projectId}/feed']!.get!.parameters!;
    assert.ok(feed.some((p) => p.name === 'projectId' && p.in === 'path' && p.required));
    assert.ok(feed.some((p) => p.name === 'Last-Event-ID' && p.in === 'header'));
  });

  it('has component schemas a JSON Schema 2020-12 validator compiles and real responses satisfy', () => {
    const check = validator();
    const found = {
      webhook: {
        id: '0190a000-0000-7000-8000-000000000001',
        projectId: 'shop',
        method: 'POST',
        path: '/x',
        query: '',
        bodySize: 2,
        sourceIp: '10.0.0.1',
        receivedAt: 1_700_000_000_000,
        status: 'dlq' as const,
        captured: true,
        targets: [{ target: 'main', status: 'dlq' as const, attempts: 3, lastStatusCode: 503 }],
        headers: [['content-type', 'application/json']] as [string, string][],
        bodyBase64: Buffer.from('{}').toString('base64'),
      },
      deliveries: [{ id: 'd1', target: 'main', status: 'dlq' as const, attempts: 3, firstSeenAt: 1_700_000_000_001, current: true }],
      attempts: [{ deliveryId: 'd1', n: 1, outcome: 'retrying' as const, startedAt: 1_700_000_000_001, statusCode: 503 }],
    };
    const view = webhookDetailView(found);
    assert.deepEqual(view.webhook.body, { encoding: 'utf8', data: '{}' });
    assert.deepEqual(check('WebhookDetail', view), []);
    assert.notDeepEqual(check('WebhookDetail', { ...view, webhook: { ...view.webhook, status: 'lost' } }), []);
    assert.deepEqual(check('BulkRetryRequest', { projectId: 'shop', since: '2025-01-31T12:00:00Z', until: 1_700_000_000_000 }), []);
    assert.notDeepEqual(check('BulkRetryRequest', { statuses: ['forwarded'] }), []);
    assert.deepEqual(check('Error', { error: { code: 'invalid_request', message: 'x', details: [] } }), []);
  });
});

describe('what replay and retry publish', () => {
  it('shows a body that is not UTF-8 as base64, and says so', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const view = webhookDetailView({
      webhook: {
        id: 'w',
        projectId: 'p',
        method: 'POST',
        path: '',
        query: '',
        bodySize: 4,
        sourceIp: '',
        receivedAt: 0,
        status: 'received',
        captured: true,
        targets: [],
        headers: [],
        bodyBase64: bytes.toString('base64'),
      },
      deliveries: [],
      attempts: [],
    });
    assert.deepEqual(view.webhook.body, { encoding: 'base64', data: bytes.toString('base64') });
    assert.equal('bodyBase64' in view.webhook, false);
  });

  it('derives a retry delivery id from the delivery it retries: the same twice, a NATS subject token, new per failure', () => {
    const first = retryDeliveryId('0190a000-0000-7000-8000-000000000001:main', 'main');
    assert.equal(first, retryDeliveryId('0190a000-0000-7000-8000-000000000001:main', 'main'));
    assert.notEqual(first, retryDeliveryId(first, 'main'), 'retrying the retry is a new delivery');
    assert.match(first, /^[A-Za-z0-9:-]+$/, 'no dots, spaces or wildcards: it becomes a DLQ subject token');
    assert.ok(first.endsWith(':main'));
  });
});
