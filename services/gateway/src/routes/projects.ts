import { Router, type RequestHandler } from 'express';
import { WebhookStatus, type RouteConfig, type RouteStatusEntry, type StatusCounts } from '@hookrelay/schemas';
import type { RouteCache, RouteStatusCache } from '@hookrelay/platform';
import type { ProjectView, RefusedRoute } from '@hookrelay/schemas/gateway-api';
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

const condition = (status: RouteStatusEntry) => ({ status: status.ready ? ('True' as const) : ('False' as const), reason: status.reason, message: status.message });

/**
 * A route as GET /projects shows it, with the Ready condition the operator published for its document (KV
 * `route-status`). A route in KV passed validation once; its condition is False when a later edit of its
 * document was refused (the last valid route keeps working meanwhile).
 */
export function projectView(route: RouteConfig, counts: ProjectView['counts'] | undefined, status?: RouteStatusEntry): ProjectView {
  const view: ProjectView = {
    projectId: route.projectId,
    source: route.source,
    webhookUrl: route.webhookUrl,
    targets: route.targets.map((t) => ({ name: t.name, url: maskedUrl(t.url), headerNames: Object.keys(t.headers ?? {}) })),
    delivery: route.delivery,
    maxBodyBytes: route.maxBodyBytes,
    ready: status ? condition(status) : { status: 'True', reason: 'Reconciled', message: `route generation ${route.generation} is applied` },
    counts: counts ?? noCounts(),
  };
  if (route.dedupeHeader !== undefined) view.dedupeHeader = route.dedupeHeader;
  return view;
}

/** GET /projects: each route with its delivery policy, Ready condition and webhook counts by status. */
export function projectsRouter(deps: {
  routes: RouteCache;
  statuses: RouteStatusCache;
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
    const statuses = deps.statuses.all().filter((s) => own === undefined || s.projectId === own);
    const statusOf = (route: RouteConfig) => statuses.find((s) => s.projectId === route.projectId && s.source.startsWith(route.source));
    const routed = new Set(routes.map((r) => r.projectId));
    const refused: RefusedRoute[] = statuses
      .filter((s) => !s.ready && (s.projectId === undefined || !routed.has(s.projectId) || s.reason === 'ProjectIdConflict'))
      .filter((s) => own === undefined || s.projectId === own)
      .map((s) => ({ source: s.source, ...(s.projectId !== undefined ? { projectId: s.projectId } : {}), ready: condition(s) }))
      .sort((a, b) => (a.source < b.source ? -1 : 1));
    res.json({ projects: routes.map((r) => projectView(r, byProject.get(r.projectId), statusOf(r))), refused });
  });
  return router;
}
