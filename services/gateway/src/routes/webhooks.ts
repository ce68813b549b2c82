import { Router, type RequestHandler } from 'express';
import type { GetWebhookResponse, StateQueryRequest } from '@hookrelay/schemas';
import {
  BulkRetryRequest,
  FailedWebhookListQuery,
  ReplayRequest,
  RetryRequest,
  WebhookIdParams,
  WebhookListQuery,
  type WebhookDetail,
} from '@hookrelay/schemas/gateway-api';
import { assertCanSee, principalOf, projectScope, requireAdmin } from '../auth.js';
import type { Redeliveries } from '../replay.js';
import type { StateClient } from '../state-client.js';
import { jsonBody, parseInput } from '../validate.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The webhook as the API shows it: the body as text when it is UTF-8, base64 otherwise, saying which. */
export function webhookDetailView(found: GetWebhookResponse): WebhookDetail {
  const { bodyBase64, ...webhook } = found.webhook;
  const view: WebhookDetail = { webhook, deliveries: found.deliveries, attempts: found.attempts };
  if (bodyBase64 !== undefined) {
    const bytes = Buffer.from(bodyBase64, 'base64');
    try {
      view.webhook.body = { encoding: 'utf8', data: strictUtf8.decode(bytes) };
    } catch {
      view.webhook.body = { encoding: 'base64', data: bodyBase64 };
    }
  }
  return view;
}

/** GET /webhooks, /webhooks/failed, /webhooks/:id; POST replay, retry and bulk retry. */
export function webhooksRouter(deps: {
  state: StateClient;
  redeliveries: Redeliveries;
  authenticate: RequestHandler;
  timeLimit: RequestHandler;
}): Router {
  const { state, redeliveries } = deps;
  const router = Router();
  // Per route rather than router.use(): a refused request is then still counted under its route pattern.
  const guard = [deps.authenticate, deps.timeLimit];

  router.get('/webhooks', ...guard, async (req, res) => {
    const query = parseInput(WebhookListQuery, req.query, 'query');
    const { status, ...filters } = query;
    const request: StateQueryRequest<'listWebhooks'> = { ...filters, projectId: projectScope(principalOf(res.locals), query.projectId) };
    if (status) request.statuses = status;
    res.json(await state.listWebhooks(request));
  });

  // Before /webhooks/:id, which would otherwise take "failed" for an id.
  router.get('/webhooks/failed', ...guard, async (req, res) => {
    const query = parseInput(FailedWebhookListQuery, req.query, 'query');
    res.json(await state.listFailedWebhooks({ ...query, projectId: projectScope(principalOf(res.locals), query.projectId) }));
  });

  router.get('/webhooks/:id', ...guard, async (req, res) => {
    const { id } = parseInput(WebhookIdParams, req.params, 'path');
    const found = await state.getWebhook(id);
    assertCanSee(principalOf(res.locals), found.webhook.projectId);
    res.json(webhookDetailView(found));
  });

  router.post('/webhooks/retry', ...guard, async (req, res) => {
    requireAdmin(principalOf(res.locals), 'retry');
    const filter = parseInput(BulkRetryRequest, jsonBody(req), 'body');
    res.status(202).json(await redeliveries.retryMatching(filter));
  });

  router.post('/webhooks/:id/replay', ...guard, async (req, res) => {
    requireAdmin(principalOf(res.locals), 'replay');
    const { id } = parseInput(WebhookIdParams, req.params, 'path');
    const { target } = parseInput(ReplayRequest, jsonBody(req), 'body');
    res.status(202).json(await redeliveries.replay(id, target));
  });

  router.post('/webhooks/:id/retry', ...guard, async (req, res) => {
    requireAdmin(principalOf(res.locals), 'retry');
    const { id } = parseInput(WebhookIdParams, req.params, 'path');
    parseInput(RetryRequest, jsonBody(req), 'body');
    res.status(202).json(await redeliveries.retry(id));
  });

  return router;
}
