import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyView, curlCommand, hexDump } from '../src/request-format.js';

test('a JSON body is pretty-printed; text stays text; a binary body is a hex dump', () => {
  assert.deepEqual(bodyView({ encoding: 'utf8', data: '{"a":[1,2]}' }, 'application/json'), { kind: 'json', text: '{\n  "a": [\n    1,\n    2\n  ]\n}' });
  assert.deepEqual(bodyView({ encoding: 'utf8', data: '{not json' }, 'application/json'), { kind: 'text', text: '{not json' });
  assert.deepEqual(bodyView({ encoding: 'utf8', data: 'a=1&b=2' }, 'application/x-www-form-urlencoded'), { kind: 'text', text: 'a=1&b=2' });
  const binary = bodyView({ encoding: 'base64', data: Buffer.from([0xff, 0x00, 0x41, 0x42]).toString('base64') }, 'application/octet-stream');
  assert.equal(binary.kind, 'hex');
  assert.equal(binary.kind === 'hex' ? binary.text : '', '00000000  ff 00 41 42                                       ..AB');
  assert.deepEqual(bodyView(undefined, undefined), { kind: 'empty' });
});

test('a hex dump shows 16 bytes a line, grouped by 8, with their ASCII', () => {
  const lines = hexDump(new Uint8Array(Array.from({ length: 20 }, (_, i) => 0x30 + i))).split('\n');
  assert.equal(lines[0], '00000000  30 31 32 33 34 35 36 37  38 39 3a 3b 3c 3d 3e 3f  0123456789:;<=>?');
  assert.equal(lines[1], '00000010  40 41 42 43                                       @ABC');
});

test('copy as curl: the same method, headers and body to the webhook URL, quoted for the shell', () => {
  const command = curlCommand({
    method: 'POST',
    url: 'https://hooks.example.com/hooks/shop/orders?x=1',
    headers: [
      ['Host', 'hooks.example.com'],
      ['content-type', 'application/json'],
      ['X-Note', "it's here"],
      ['Content-Length', '9'],
    ],
    body: { encoding: 'utf8', data: `{"a":"'"}` },
  });
  assert.equal(
    command,
    [
      "curl -X POST 'https://hooks.example.com/hooks/shop/orders?x=1'",
      "-H 'content-type: application/json'",
      "-H 'X-Note: it'\\''s here'",
      `--data-binary '{"a":"'\\''"}'`,
    ].join(' \\\n  '),
  );
  const binary = curlCommand({ method: 'PUT', url: 'http://h/x', headers: [], body: { encoding: 'base64', data: '/wA=' } });
  assert.equal(binary, "printf %s '/wA=' | base64 -d | curl -X PUT 'http://h/x' \\\n  --data-binary @-");
});
