import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHookUrl } from '../src/request-target.js';
import { InvalidProjectIdError } from '../src/errors.js';

test('splits project, sub-path and query', () => {
  assert.deepEqual(parseHookUrl('/hooks/github'), { projectId: 'github', path: '', query: '' });
  assert.deepEqual(parseHookUrl('/hooks/github/push/x?a=1&b=2'), { projectId: 'github', path: '/push/x', query: 'a=1&b=2' });
  assert.equal(parseHookUrl('/healthz'), undefined);
});

test('refuses project ids that could reach other subjects', () => {
  for (const url of ['/hooks/a.b', '/hooks/*', '/hooks/>', '/hooks/a%2Eb', '/hooks/a%20b', '/hooks/', '/hooks/' + 'a'.repeat(64)]) {
    assert.throws(() => parseHookUrl(url), InvalidProjectIdError, url);
  }
});
