import { Router, type RequestHandler } from 'express';
import { WebhookStatus, type RouteConfig, type StatusCounts } from '@hookrelay/schemas';
import type { RouteCache } from '@hookrelay/platform';
import type { ProjectView } from '../api-schemas.js';
import { principalOf } from '../auth.js';
import type { StateClient } from '../state-client.js';

/** Userinfo in a target URL is a credential: shown masked. */
function maskedUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return url;
  parsed.username = '***';
  parsed.password = '';
  return parsed.toString();
}

const noCounts = (): { total: number; byStatus: StatusCounts } => ({
  total: 0,
  byStatus: Object.fromEntries(WebhookStatus.options.map((s) => [s, 0])) as StatusCounts,
});

/**
 * A route as GET /projects shows it. Every route in the KV bucket passed the operator's validation, so it is
 * Ready; routes the operator refused never reach KV and the operator publishes no status over NATS yet, so
 * they are not listed (their status is on the WebhookRoute object, `kubectl get whr`).
 */
export function projectView(route: RouteConfig, counts: ProjectView['counts'] | undefined): ProjectView {
  const view: ProjectView = {
    projectId: route.projectId,
    source: route.source,
    webhookUrl: route.webhookUrl,
    targets: route.targets.map((t) => ({ name: t.name, url: maskedUrl(t.url), headerNames: Object.keys(t.headers ?? {}) })),
    delivery: route.delivery,
    maxBodyBytes: route.maxBodyBytes,
    ready: { status: 'True', reason: 'Reconciled', message: `route generation ${route.generation} is applied` },
    counts: counts ?? noCounts(),
  };
  if (route.dedupeHeader !== undefined) view.dedupeHeader = route.dedupeHeader;
  return view;
}

/** GET /projects: each route with its delivery policy, Ready condition and webhook counts by status. */
export function projectsRouter(deps: {
  routes: RouteCache;
  state: StateClient;
  authenticate: RequestHandler;
  timeLimit: RequestHandler;
}): Router {
  const router = Router();
  router.get('/projects', deps.authenticate, deps.timeLimit, async (_req, res) => {
    const principal = principalOf(res.locals);
    const own = principal.kind === 'project' ? principal.projectId : undefined;
    const routes = deps.routes
      .all()
      .filter((r) => own === undefined || r.projectId === own)
      .sort((a, b) => (a.projectId < b.projectId ? -1 : a.projectId > b.projectId ? 1 : 0));
    const counts = await deps.state.countWebhooks(own);
    const byProject = new Map(counts.projects.map((p) => [p.projectId, { total: p.total, byStatus: p.byStatus }]));
    res.json({ projects: routes.map((r) => projectView(r, byProject.get(r.projectId))) });
  });
  return router;
}
