import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface Probes {
  /** Ready to take work: connections up, state loaded. */
  ready(): boolean;
}

/**
 * Answers /healthz, /readyz and /metrics. Returns undefined for other paths so a service with its own HTTP
 * port (ingest) can serve them beside its routes.
 */
export function handleOpsRequest(
  req: IncomingMessage,
  res: ServerResponse,
  registry: Registry,
  probes: Probes,
): Promise<void> | undefined {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  if (path === '/healthz') return Promise.resolve(sendJson(res, 200, { status: 'ok' }));
  if (path === '/readyz') {
    const ready = probes.ready();
    return Promise.resolve(sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' }));
  }
  if (path === '/metrics') {
    return registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    });
  }
  return undefined;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A small HTTP server for services whose only HTTP surface is health and metrics. */
export async function startOpsServer(port: number, registry: Registry, probes: Probes, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((req, res) => {
    const handled = handleOpsRequest(req, res, registry, probes);
    if (!handled) sendJson(res, 404, { error: { code: 'not_found', message: `no route for ${req.method} ${req.url}` } });
    else handled.catch(() => sendJson(res, 500, { error: { code: 'internal', message: 'metrics failed' } }));
  });
  await listen(server, port, host);
  return server;
}

export function listen(server: Server, port: number, host = '0.0.0.0'): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export function boundPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes what is left. */
export function closeServer(server: Server, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
