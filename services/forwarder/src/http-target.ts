import { Agent, request } from 'undici';
import type { TargetSpec, WebhookMeta } from '@hookrelay/schemas';
import { parseRetryAfter } from './retry-policy.js';
import { standardWebhookSignature } from './sign.js';

export interface AttemptResult {
  statusCode?: number;
  error?: string;
  retryAfterMs?: number;
  responseSnippet?: string;
  durationMs: number;
}

// Hop-by-hop headers (RFC 9110 7.6.1) and those the client sets itself.
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);
const SNIPPET_BYTES = 1024;

export interface AttemptRequest {
  meta: WebhookMeta;
  body: Uint8Array;
  target: TargetSpec;
  deliveryId: string;
  attempt: number;
  timeoutMs: number;
  /** Standard Webhooks signing secrets, current first. */
  signingSecrets?: readonly string[];
}

/** The target URL plus the webhook's sub-path and query. */
export function forwardUrl(targetUrl: string, meta: Pick<WebhookMeta, 'path' | 'query'>): string {
  if (!meta.path && !meta.query) return targetUrl;
  const url = new URL(targetUrl);
  if (meta.path) url.pathname = url.pathname.replace(/\/$/, '') + meta.path;
  if (meta.query) url.search = url.search ? `${url.search}&${meta.query}` : `?${meta.query}`;
  return url.href;
}

/** Request headers for one attempt: the original ones minus hop-by-hop, plus the relay's and the target's. */
export function forwardHeaders(req: AttemptRequest, now = Date.now()): string[] {
  const connectionListed = new Set<string>();
  for (const [name, value] of req.meta.headers) {
    if (name.toLowerCase() === 'connection') value.split(',').forEach((t) => connectionListed.add(t.trim().toLowerCase()));
  }
  const out: string[] = [];
  let forwardedFor: string | undefined;
  for (const [name, value] of req.meta.headers) {
    const lower = name.toLowerCase();
    if (DROPPED.has(lower) || connectionListed.has(lower) || lower.startsWith('webhook-')) continue;
    if (lower === 'x-forwarded-for') {
      forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
      continue;
    }
    out.push(name, value);
  }
  const sourceIp = req.meta.sourceIp;
  out.push('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${sourceIp}` : sourceIp);
  const timestamp = Math.floor(now / 1000);
  out.push('webhook-id', req.meta.id, 'webhook-timestamp', String(timestamp));
  if (req.signingSecrets?.length) {
    out.push('webhook-signature', standardWebhookSignature(req.signingSecrets, req.meta.id, timestamp, req.body));
  }
  out.push('x-hookrelay-attempt', String(req.attempt), 'x-hookrelay-delivery-id', req.deliveryId);
  for (const [name, value] of Object.entries(req.target.headers ?? {})) out.push(name, value);
  return out;
}

/** Sends attempts to targets over pooled keep-alive connections. */
export class HttpTarget {
  private readonly agent: Agent;

  constructor(connectionsPerOrigin: number) {
    this.agent = new Agent({ connections: connectionsPerOrigin, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  async send(req: AttemptRequest): Promise<AttemptResult> {
    const started = performance.now();
    const hasBody = req.body.length > 0 && req.meta.method !== 'GET' && req.meta.method !== 'HEAD';
    try {
      const res = await request(forwardUrl(req.target.url, req.meta), {
        method: req.meta.method as 'POST',
        headers: forwardHeaders(req),
        body: hasBody ? req.body : undefined,
        dispatcher: this.agent,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
        signal: AbortSignal.timeout(req.timeoutMs),
      });
      let snippet = '';
      for await (const chunk of res.body) {
        if (snippet.length < SNIPPET_BYTES) snippet += (chunk as Buffer).toString('utf8', 0, SNIPPET_BYTES - snippet.length);
      }
      return {
        statusCode: res.statusCode,
        retryAfterMs: parseRetryAfter(res.headers['retry-after']),
        responseSnippet: snippet || undefined,
        durationMs: performance.now() - started,
      };
    } catch (err) {
      return { error: describeError(err, req.timeoutMs), durationMs: performance.now() - started };
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

function describeError(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || /timeout/i.test(err.name)) {
    return `timed out after ${timeoutMs} ms`;
  }
  const code = (err as { code?: string }).code ?? (err.cause as { code?: string } | undefined)?.code;
  return code ? `${code}: ${err.message}` : err.message;
}
