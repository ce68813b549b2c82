#!/usr/bin/env node
// Runs every test file (libs/*/test, services/*/test, test/e2e) with node's test runner, TypeScript via tsx.
// Usage: node scripts/test.mjs [substring filter...]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const roots = [
  ...readdirSync('libs').map((d) => join('libs', d, 'test')),
  ...readdirSync('services').map((d) => join('services', d, 'test')),
  join('test', 'e2e'),
];
const filters = process.argv.slice(2);
const files = roots
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => join(dir, f)))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=240000', ...files],
  { stdio: 'inherit', env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' } },
);
process.exit(result.status ?? 1);
