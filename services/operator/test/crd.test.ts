import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { WebhookRouteDocument } from '@hookrelay/schemas';
import { CRD_FILE, webhookRouteCrd, webhookRouteCrdYaml, type SchemaNode } from '../scripts/crd.js';
import { CrdValidator } from './support/crd-validator.js';
import { validateRoute } from '../src/reconcile.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const crd = webhookRouteCrd();
const rootSchema = crd.spec.versions[0]!.schema.openAPIV3Schema;
const validator = new CrdValidator(rootSchema);

const route = (spec: Record<string, unknown>, name = 'github'): Record<string, unknown> => ({
  apiVersion: 'hookrelay.dev/v1alpha1',
  kind: 'WebhookRoute',
  metadata: { name, namespace: 'team-a' },
  spec,
});
const target = (name: string, url = 'http://ci.team-a.svc:8080/github') => ({ name, url });

test('the committed CRD is the one the zod schemas generate (run `npm run gen:crd -w @hookrelay/operator`)', async () => {
  const committed = await readFile(`${repoRoot}${CRD_FILE}`, 'utf8');
  assert.equal(committed, webhookRouteCrdYaml());
});

test('the CRD is a valid apiextensions.k8s.io/v1 CustomResourceDefinition', async () => {
  const committed: unknown = parse(await readFile(`${repoRoot}${CRD_FILE}`, 'utf8'));
  assert.doesNotThrow(() => new CustomResourceDefinition(committed as ConstructorParameters<typeof CustomResourceDefinition>[0]).validate());
  assert.deepEqual(crd.spec.names.shortNames, ['whr']);
  assert.deepEqual(crd.spec.versions[0]?.subresources, { status: {} });
  assert.deepEqual(
    crd.spec.versions[0]?.additionalPrinterColumns.map((c) => c.name),
    ['Project', 'Targets', 'Ready', 'Reason', 'URL', 'Age'],
  );
});

test('the schema is structural and bounded: a type everywhere, a limit on every string, list and map', () => {
  const problems: string[] = [];
  const visit = (node: SchemaNode, path: string): void => {
    if (!node.type) problems.push(`${path}: no type`);
    if ('additionalProperties' in node && typeof node.additionalProperties !== 'object') problems.push(`${path}: additionalProperties must be a schema`);
    if (node.type === 'string' && node.maxLength === undefined && !node.enum && node.format !== 'date-time') problems.push(`${path}: unbounded string`);
    if (node.type === 'array' && node.maxItems === undefined) problems.push(`${path}: unbounded list`);
    if (node.type === 'object' && node.additionalProperties && node.maxProperties === undefined) problems.push(`${path}: unbounded map`);
    for (const [key, child] of Object.entries(node.properties ?? {})) visit(child, `${path}.${key}`);
    if (node.items) visit(node.items, `${path}[]`);
    if (node.additionalProperties) visit(node.additionalProperties, `${path}.*`);
  };
  for (const [key, child] of Object.entries(rootSchema.properties ?? {})) if (key === 'spec' || key === 'status') visit(child, key);
  assert.deepEqual(problems, []);
});

test('every example, and the local example route, is accepted by the CRD and by the operator', async () => {
  const files = [
    ...(await readdir(`${repoRoot}examples`)).filter((f) => f.endsWith('.yaml')).map((f) => `examples/${f}`),
    'routes/example.yaml',
  ];
  assert.ok(files.length >= 4);
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(`${repoRoot}${file}`, 'utf8'))) {
      const object = doc.toJS() as Record<string, unknown>;
      if (object.kind !== 'WebhookRoute') continue;
      assert.deepEqual(validator.errors(structuredClone(object)), [], `${file} against the CRD`);
      const parsed = WebhookRouteDocument.safeParse(object);
      assert.ok(parsed.success, `${file} against the zod schema: ${parsed.success ? '' : parsed.error.message}`);
    }
  }
});

test('the API server fills in the default delivery policy', () => {
  const object = route({ targets: [target('ci')] });
  assert.deepEqual(validator.errors(object), []);
  assert.deepEqual((object.spec as Record<string, unknown>).delivery, {
    retry: 2,
    backoffPolicy: 'fixed',
    backoffDelay: 'PT2S',
    backoffMax: 'PT1H',
    retryAfterMax: 'PT10M',
    timeout: 'PT10S',
  });
});

test('CEL rules refuse what the schema alone cannot, as the operator does', () => {
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['duplicate target names', route({ targets: [target('ci'), target('ci')] }), /target names must be unique/],
    ['a URL that is not http(s)', route({ targets: [target('ci', 'ftp://files.example.com/')] }), /must be an http/],
    ['a URL without a host', route({ targets: [target('ci', 'http://')] }), /must be an http/],
    ['a URL with a space', route({ targets: [target('ci', 'http://ci svc/')] }), /must be an http/],
    ['a header name with a space', route({ targets: [{ ...target('ci'), headers: { 'X Env': 'prod' } }] }), /header names/],
    ['a secretRef naming no secret', route({ targets: [target('ci')], verify: { type: 'github', secretRef: { name: 'gh' } } }), /needs name and key/],
    ['an empty duration', route({ targets: [target('ci')], delivery: { timeout: 'PT' } }), /ISO-8601/],
    ['a dotted name without spec.projectId', route({ targets: [target('ci')] }, 'github.team-a'), /set spec.projectId/],
  ];
  for (const [what, object, message] of refused) {
    const errors = validator.errors(object);
    assert.ok(errors.some((e) => message.test(e)), `${what}: ${JSON.stringify(errors)}`);
    assert.equal(validateRoute(object, { source: 'team-a/github', publicUrl: 'http://localhost:8080' }).ok, false, `the operator also refuses ${what}`);
  }
  assert.deepEqual(validator.errors(route({ targets: [target('ci')], projectId: 'github' }, 'github.team-a')), []);
});

test('the projectId cannot change once the route exists', () => {
  const before = route({ projectId: 'github', targets: [target('ci')] });
  assert.deepEqual(validator.errors(route({ projectId: 'github', targets: [target('other')] }), before), []);
  assert.match(validator.errors(route({ projectId: 'gitlab', targets: [target('ci')] }), before).join(), /projectId is immutable/);
  // Setting spec.projectId to anything but the name it defaulted to is a change too.
  const unnamed = route({ targets: [target('ci')] });
  assert.deepEqual(validator.errors(route({ projectId: 'github', targets: [target('ci')] }), unnamed), []);
  assert.match(validator.errors(route({ projectId: 'other', targets: [target('ci')] }), unnamed).join(), /projectId is immutable/);
});
