import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebhookMeta } from '@hookrelay/schemas';
import { forwardHeaders, forwardUrl } from '../src/http-target.js';

const meta = (headers: [string, string][]): WebhookMeta => ({
  id: 'wh-1',
  projectId: 'p',
  method: 'POST',
  path: '/a/b',
  query: 'x=1',
  headers,
  bodySize: 0,
  sourceIp: '10.0.0.7',
  receivedAt: 0,
});

test('the sub-path and query are appended to the target URL, keeping its own', () => {
  assert.equal(forwardUrl('http://t:8080/in', { path: '/a/b', query: 'x=1' }), 'http://t:8080/in/a/b?x=1');
  assert.equal(forwardUrl('http://t/in/', { path: '/a', query: '' }), 'http://t/in/a');
  assert.equal(forwardUrl('http://t/in?k=v', { path: '', query: 'x=1' }), 'http://t/in?k=v&x=1');
  assert.equal(forwardUrl('http://t/in', { path: '', query: '' }), 'http://t/in');
});

test('hop-by-hop headers are dropped; the relay adds webhook-id, timestamp, attempt and X-Forwarded-For', () => {
  const h = forwardHeaders(
    {
      meta: meta([
        ['Host', 'relay'],
        ['Connection', 'keep-alive, X-Private'],
        ['X-Private', 'secret-hop'],
        ['Content-Length', '5'],
        ['Transfer-Encoding', 'chunked'],
        ['X-GitHub-Event', 'push'],
        ['Set-Thing', 'a'],
        ['Set-Thing', 'b'],
        ['X-Forwarded-For', '1.2.3.4'],
      ]),
      body: new Uint8Array(),
      target: { name: 't', url: 'http://t', headers: { 'X-Env': 'prod' } },
      deliveryId: 'wh-1:t',
      attempt: 2,
      timeoutMs: 1000,
    },
    1_700_000_000_000,
  );
  const pairs: [string, string][] = [];
  for (let i = 0; i < h.length; i += 2) pairs.push([h[i]!.toLowerCase(), h[i + 1]!]);
  const names = pairs.map(([k]) => k);
  for (const dropped of ['host', 'connection', 'x-private', 'content-length', 'transfer-encoding']) assert.ok(!names.includes(dropped), dropped);
  assert.deepEqual(pairs.filter(([k]) => k === 'set-thing').map(([, v]) => v), ['a', 'b']);
  const get = (k: string) => pairs.find(([n]) => n === k)?.[1];
  assert.equal(get('x-github-event'), 'push');
  assert.equal(get('webhook-id'), 'wh-1');
  assert.equal(get('webhook-timestamp'), '1700000000');
  assert.equal(get('x-hookrelay-attempt'), '2');
  assert.equal(get('x-forwarded-for'), '1.2.3.4, 10.0.0.7');
  assert.equal(get('x-env'), 'prod');
});
