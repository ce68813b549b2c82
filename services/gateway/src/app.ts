import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import { handleOpsRequest, type Logger, type Probes, type RouteCache, type RouteStatusCache } from '@hookrelay/platform';
import { authenticate, type TokenRegistry } from './auth.js';
import { consoleRouter } from './console.js';
import { RequestTimeoutError, RouteNotFoundError, errorBody, errorHandler } from './errors.js';
import type { LiveFeed } from './feed.js';
import type { GatewayMetrics } from './metrics.js';
import type { Redeliveries } from './replay.js';
import { feedsRouter } from './routes/feeds.js';
import { projectsRouter } from './routes/projects.js';
import { webhooksRouter } from './routes/webhooks.js';
import type { StateClient } from './state-client.js';

export interface AppDeps {
  tokens: TokenRegistry;
  state: StateClient;
  routes: RouteCache;
  routeStatuses: RouteStatusCache;
  redeliveries: Redeliveries;
  feed: LiveFeed;
  openApi: unknown;
  registry: Registry;
  metrics: GatewayMetrics;
  probes: Probes;
  log: Logger;
  limits: { requestTimeoutMs: number; maxBodyBytes: number; maxFeedClients: number; maxFeedBufferBytes: number };
}

/** Counts every answer by route pattern (not the raw path: ids would explode the label set). */
function requestMetrics(metrics: GatewayMetrics, log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const route = req.route?.path !== undefined ? String(req.route.path) : 'unmatched';
      const code = String(res.statusCode);
      metrics.requests.inc({ route, method: req.method, code });
      const seconds = (performance.now() - started) / 1000;
      if (res.getHeader('content-type')?.toString().startsWith('text/event-stream') !== true) {
        metrics.requestSeconds.observe({ route }, seconds);
      }
      // The path only: the query may hold an access_token.
      const fields = { method: req.method, path: req.path, route, status: res.statusCode, ms: Math.round(seconds * 1000) };
      if (res.statusCode >= 500) log.warn(fields, 'request failed');
      else log.debug(fields, 'request');
    };
    res.on('finish', record);
    res.on('close', record);
    next();
  };
}

/** A REST request not answered within `ms` gets 503; a handler finishing later finds the response sent. */
function timeLimit(ms: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (!res.headersSent) {
        const err = new RequestTimeoutError(ms);
        res.status(err.status).json(errorBody(err));
      }
    }, ms);
    res.on('close', () => clearTimeout(timer));
    res.on('finish', () => clearTimeout(timer));
    next();
  };
}

/** The gateway's HTTP surface: ops endpoints, the OpenAPI document, REST and the feeds, behind helmet. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(helmet());
  app.use(requestMetrics(deps.metrics, deps.log));

  app.use((req, res, next) => {
    const ops = handleOpsRequest(req, res, deps.registry, deps.probes);
    if (ops) ops.catch(next);
    else next();
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(deps.openApi);
  });
  app.use(consoleRouter());

  app.use(express.json({ limit: deps.limits.maxBodyBytes, strict: true, type: 'application/json' }));
  const headerOnly = authenticate(deps.tokens, { queryToken: false });
  const withQueryToken = authenticate(deps.tokens, { queryToken: true });
  const limited = timeLimit(deps.limits.requestTimeoutMs);
  app.use(webhooksRouter({ state: deps.state, redeliveries: deps.redeliveries, authenticate: headerOnly, timeLimit: limited }));
  app.use(projectsRouter({ routes: deps.routes, statuses: deps.routeStatuses, state: deps.state, authenticate: headerOnly, timeLimit: limited }));
  app.use(
    feedsRouter({
      feed: deps.feed,
      authenticate: withQueryToken,
      metrics: deps.metrics,
      maxClients: deps.limits.maxFeedClients,
      maxBufferBytes: deps.limits.maxFeedBufferBytes,
    }),
  );

  app.use((req) => {
    throw new RouteNotFoundError(req.method, req.path);
  });
  app.use(errorHandler(deps.log));
  return app;
}
