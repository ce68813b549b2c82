import { Router, type Request, type RequestHandler, type Response } from 'express';
import { FeedQuery, LastEventId, ProjectParams } from '@hookrelay/schemas/gateway-api';
import { assertCanSee, principalOf, projectScope } from '../auth.js';
import { TooManyFeedClientsError } from '../errors.js';
import type { LiveFeed } from '../feed.js';
import type { GatewayMetrics } from '../metrics.js';
import { SseStream } from '../sse.js';
import { parseInput } from '../validate.js';

export interface FeedRouteDeps {
  feed: LiveFeed;
  /** Accepts `?access_token=` as well as the header: EventSource cannot send headers. */
  authenticate: RequestHandler;
  metrics: GatewayMetrics;
  maxClients: number;
  maxBufferBytes: number;
}

/** GET /feed (every project the token sees) and GET /projects/:projectId/feed, as Server-Sent Events. */
export function feedsRouter(deps: FeedRouteDeps): Router {
  const router = Router();

  async function serve(req: Request, res: Response, projectId: string | undefined): Promise<void> {
    const query = parseInput(FeedQuery, req.query, 'query');
    const header = req.get('last-event-id');
    const resumeAfter =
      header !== undefined && header !== ''
        ? parseInput(LastEventId, header, 'header')
        : query.lastEventId !== undefined
          ? Number(query.lastEventId)
          : undefined;
    if (deps.feed.clientCount >= deps.maxClients) throw new TooManyFeedClientsError(deps.maxClients);
    const stream = new SseStream(res, deps.maxBufferBytes, (reason) => deps.metrics.feedClientsDropped.inc({ reason }));
    await deps.feed.subscribe(
      stream,
      { ...(projectId !== undefined ? { projectId } : {}), ...(query.status ? { statuses: new Set(query.status) } : {}) },
      resumeAfter,
    );
  }

  router.get('/feed', deps.authenticate, (req, res) => serve(req, res, projectScope(principalOf(res.locals), undefined)));

  router.get('/projects/:projectId/feed', deps.authenticate, (req, res) => {
    const { projectId } = parseInput(ProjectParams, req.params, 'path');
    assertCanSee(principalOf(res.locals), projectId);
    return serve(req, res, projectId);
  });

  return router;
}
