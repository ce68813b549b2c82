import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { v7 as uuidv7 } from 'uuid';
import type { Registry } from 'prom-client';
import type { WebhookMeta } from '@hookrelay/schemas';
import { handleOpsRequest, sendJson, type Logger, type Probes, type RouteCache } from '@hookrelay/platform';
import { IngestError, NotReadyError, RouteNotFoundError, SignatureRejectedError } from './errors.js';
import { parseHookUrl, type HookTarget } from './request-target.js';
import { readBody } from './read-body.js';
import { verifySignature } from './verify-signature.js';
import type { WebhookPublisher } from './publish-webhook.js';
import type { IngestMetrics } from './metrics.js';

export interface IngestDeps {
  routes: RouteCache;
  publisher: WebhookPublisher;
  isConnected(): boolean;
  registry: Registry;
  metrics: IngestMetrics;
  probes: Probes;
  log: Logger;
}

/** Pairs of the request's headers in arrival order, duplicates kept. */
function headerPairs(raw: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
  return pairs;
}

async function acceptWebhook(req: IncomingMessage, target: HookTarget, deps: IngestDeps, started: number) {
  const route = deps.routes.get(target.projectId);
  if (!route) throw new RouteNotFoundError(target.projectId);
  if (!deps.isConnected()) throw new NotReadyError();
  const body = await readBody(req, route.maxBodyBytes);
  if (route.verify) {
    const failure = verifySignature(route.verify, req.headers, body);
    if (failure) {
      deps.metrics.signatureRejected.labels(target.projectId, failure).inc();
      if (route.verify.recordFailures) await deps.publisher.recordRejected(captureMeta(req, target, body, started), body, failure);
      throw new SignatureRejectedError(failure);
    }
  }
  const dedupeValue = route.dedupeHeader ? req.headers[route.dedupeHeader.toLowerCase()] : undefined;
  const meta: WebhookMeta = {
    ...captureMeta(req, target, body, started),
    dedupeKey: typeof dedupeValue === 'string' && dedupeValue !== '' ? dedupeValue : undefined,
  };
  const accepted = await deps.publisher.publish(meta, body);
  deps.metrics.bodyBytes.observe(body.length);
  return accepted;
}

/** The request as captured, minus its body. */
function captureMeta(req: IncomingMessage, target: HookTarget, body: Uint8Array, started: number): WebhookMeta {
  return {
    id: uuidv7(),
    projectId: target.projectId,
    method: req.method ?? 'POST',
    path: target.path,
    query: target.query,
    headers: headerPairs(req.rawHeaders),
    contentType: req.headers['content-type'],
    bodySize: body.length,
    sourceIp: req.socket.remoteAddress ?? '',
    receivedAt: started,
  };
}

function sendError(res: ServerResponse, err: IngestError): void {
  const body: { error: { code: string; message: string; details?: unknown } } = {
    error: { code: err.code, message: err.message },
  };
  if (err.details !== undefined) body.error.details = err.details;
  // A body we stopped reading is not drained for long: close the connection after answering.
  const closing: Record<string, string> = err.status === 413 ? { connection: 'close' } : {};
  sendJson(res, err.status, body, { ...err.headers, ...closing });
}

export function createIngestServer(deps: IngestDeps): Server {
  const { log, metrics } = deps;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const startedHr = performance.now();
    let target: HookTarget | undefined;
    try {
      target = parseHookUrl(req.url ?? '/');
      if (!target) {
        const ops = handleOpsRequest(req, res, deps.registry, deps.probes);
        if (ops) return await ops;
        return sendJson(res, 404, { error: { code: 'not_found', message: 'webhooks are sent to /hooks/<projectId>' } });
      }
      const { id, duplicate } = await acceptWebhook(req, target, deps, started);
      sendJson(res, 202, duplicate ? { id, duplicate } : { id });
      metrics.requests.labels(target.projectId, '202').inc();
      metrics.acceptSeconds.observe((performance.now() - startedHr) / 1000);
      log.debug({ webhookId: id, projectId: target.projectId, duplicate }, 'webhook accepted');
    } catch (err) {
      const project = target?.projectId ?? 'unknown';
      if (err instanceof IngestError) {
        sendError(res, err);
        metrics.requests.labels(err instanceof RouteNotFoundError ? 'unknown' : project, String(err.status)).inc();
        const level = err.status >= 500 ? 'warn' : 'info';
        log[level]({ projectId: project, code: err.code, err: err.cause ?? undefined }, err.message);
      } else {
        log.error({ err, projectId: project }, 'unexpected error while accepting a webhook');
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: 'internal error; nothing was accepted' } });
        metrics.requests.labels(project, '500').inc();
      }
    }
  };
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 60_000 }, (req, res) => void handle(req, res));
  return server;
}
