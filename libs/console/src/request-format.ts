import type { CapturedBody } from './api/schemas.js';

export type BodyView =
  | { kind: 'json'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'hex'; text: string; size: number }
  | { kind: 'empty' };

export function decodeBase64(data: string): Uint8Array {
  const binary = atob(data);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Shown at most: a hex dump of a large binary body would freeze the page and help nobody. */
const MAX_HEX_BYTES = 64 * 1024;

/** `xxd`-style: offset, 16 bytes in hex, then the printable ASCII. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  const shown = Math.min(bytes.length, MAX_HEX_BYTES);
  for (let start = 0; start < shown; start += 16) {
    const row = bytes.subarray(start, Math.min(start + 16, shown));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0'));
    const grouped = [hex.slice(0, 8).join(' '), hex.slice(8).join(' ')].join('  ').padEnd(16 * 3, ' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${start.toString(16).padStart(8, '0')}  ${grouped}  ${ascii}`);
  }
  if (bytes.length > shown) lines.push(`… ${bytes.length - shown} more bytes not shown`);
  return lines.join('\n');
}

/** JSON pretty-printed when it parses, text otherwise; hex for a body that is not UTF-8. */
export function bodyView(body: CapturedBody | undefined, contentType: string | undefined): BodyView {
  if (!body || body.data === '') return { kind: 'empty' };
  if (body.encoding === 'base64') {
    const raw = decodeBase64(body.data);
    return { kind: 'hex', text: hexDump(raw), size: raw.length };
  }
  const looksJson = /json/i.test(contentType ?? '') || /^\s*[[{]/.test(body.data);
  if (looksJson) {
    try {
      return { kind: 'json', text: JSON.stringify(JSON.parse(body.data), null, 2) };
    } catch {
      // Said it was JSON but is not: shown as it came.
    }
  }
  return { kind: 'text', text: body.data };
}

/** Headers that belong to the hop, not to the webhook: curl sets its own. */
const HOP_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive', 'accept-encoding', 'expect', 'te', 'upgrade']);

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * A curl command that sends the same request to the project's webhook URL again (through ingest, so it is
 * captured and delivered as a new webhook). A binary body travels as base64 through `base64 -d`.
 */
export function curlCommand(input: {
  method: string;
  url: string;
  headers: readonly (readonly [string, string])[];
  body: CapturedBody | undefined;
}): string {
  const lines = [`curl -X ${input.method} ${shellQuote(input.url)}`];
  for (const [name, value] of input.headers) {
    if (!HOP_HEADERS.has(name.toLowerCase())) lines.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  }
  let prefix = '';
  if (input.body && input.body.data !== '') {
    if (input.body.encoding === 'utf8') {
      lines.push(`--data-binary ${shellQuote(input.body.data)}`);
    } else {
      prefix = `printf %s ${shellQuote(input.body.data)} | base64 -d | `;
      lines.push('--data-binary @-');
    }
  }
  return prefix + lines.join(' \\\n  ');
}
