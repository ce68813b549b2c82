import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..', '..');
/** Every file below `dir`, concatenated. */
const read = (dir: string) =>
  readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .map((f) => join(root, dir, f))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path, 'utf8'))
    .join('\n');

test('every metric the Grafana dashboard and the PrometheusRule query is one a service exports', () => {
  const queried = new Set(
    [...`${read('charts/hookrelay/dashboards')}\n${read('charts/hookrelay/templates')}`.matchAll(/hookrelay_[a-z_]+/g)].map((m) =>
      m[0].replace(/_(bucket|sum|count)$/, ''),
    ),
  );
  const sources = readdirSync(join(root, 'services')).map((s) => read(join('services', s, 'src'))).join('\n');
  const exported = new Set([...sources.matchAll(/name: '(hookrelay_[a-z_]+)'/g)].map((m) => m[1]));
  assert.ok(queried.size > 5, 'the dashboard queries hookrelay metrics');
  const missing = [...queried].filter((name) => !exported.has(name) && !/^hookrelay_(process|nodejs)_/.test(name));
  assert.deepEqual(missing, [], `queried but exported by no service: ${missing.join(', ')}`);
});
