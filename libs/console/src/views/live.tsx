import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import { WEBHOOK_STATUSES, WebhookStatus } from '../api/schemas.js';
import { ArrowUpIcon } from '../components/icons.js';
import { StatusBadge } from '../components/status-badge.js';
import { TargetsSummary } from '../components/targets-summary.js';
import { useConsole } from '../context.js';
import { STATUS_LABEL, fullTime, plural, requestTarget, shortTime } from '../format.js';
import { type FeedRow, useStore } from '../live-store.js';
import { hrefOf, navigate, useLocation } from '../router.js';

/** The reader counts as "at the top" within this many pixels: new webhooks then go straight in. */
const FOLLOW_THRESHOLD_PX = 48;
/** A row that changed this recently is highlighted once. */
const FRESH_MS = 1500;

/** Where the reader was on the Live page, kept while they look at a webhook. */
let savedScrollY = 0;
/** The Live page with the reader's filters, for the way back from a webhook's page. */
let lastLiveHref = '/';
export const liveHref = (): string => lastLiveHref;

function statusFilterOf(search: URLSearchParams): Set<WebhookStatus> {
  const wanted = (search.get('status') ?? '').split(',');
  return new Set(WEBHOOK_STATUSES.filter((s) => wanted.includes(s)));
}

/** Moves focus between rows with the arrow keys, like a list box, while each row stays a plain link. */
export function onRowKeyDown(event: KeyboardEvent): void {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
  const current = (event.target as Element | null)?.closest('[data-row]');
  if (!current) return;
  const rows = [...(current.closest('[data-rows]')?.querySelectorAll<HTMLElement>('[data-row]') ?? [])];
  const next = rows[rows.indexOf(current as HTMLElement) + (event.key === 'ArrowDown' ? 1 : -1)];
  if (next) {
    event.preventDefault();
    next.focus();
  }
}

export function LivePage() {
  const { session, live, projects } = useConsole();
  useStore(live);
  const location = useLocation();
  const projectParam = location.search.get('project') ?? undefined;
  const scope = session.ownProject ?? (projectParam !== undefined && projectParam !== '' ? projectParam : undefined);
  const statusFilter = statusFilterOf(location.search);

  useEffect(() => live.setScope(scope), [live, scope]);
  lastLiveHref = hrefOf.live(location.search);

  // Keep the reader's place: back from a webhook's page to where they were; and follow the top only while there.
  useLayoutEffect(() => {
    window.scrollTo(0, savedScrollY);
    live.setFollowing(savedScrollY < FOLLOW_THRESHOLD_PX);
    const onScroll = () => {
      savedScrollY = window.scrollY;
      live.setFollowing(window.scrollY < FOLLOW_THRESHOLD_PX);
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => window.removeEventListener('scroll', onScroll);
  }, [live]);

  const setParams = (change: (params: URLSearchParams) => void) => {
    const params = new URLSearchParams(location.search);
    change(params);
    navigate(hrefOf.live(params), { replace: true });
  };
  const toggleStatus = (status: WebhookStatus) =>
    setParams((params) => {
      const next = new Set(statusFilter);
      if (next.has(status)) next.delete(status);
      else next.add(status);
      if (next.size === 0) params.delete('status');
      else params.set('status', WEBHOOK_STATUSES.filter((s) => next.has(s)).join(','));
    });

  const counts = Object.fromEntries(WEBHOOK_STATUSES.map((s) => [s, 0])) as Record<WebhookStatus, number>;
  for (const row of live.rows) counts[row.status]++;
  const shown = statusFilter.size === 0 ? live.rows : live.rows.filter((r) => statusFilter.has(r.status));
  const pendingShown = statusFilter.size === 0 ? live.pending.length : live.pending.filter((r) => statusFilter.has(r.status)).length;
  const now = Date.now();
  const projectIds = projects.map((p) => p.projectId);
  if (scope !== undefined && !projectIds.includes(scope)) projectIds.push(scope);

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <div>
          <h1 id="page-title" tabIndex={-1}>
            Live feed
          </h1>
          <p class="muted">
            Webhooks as they arrive, newest first{scope ? <>, project <strong>{scope}</strong></> : ', all projects'}.
          </p>
        </div>
      </div>

      <div class="toolbar" role="group" aria-label="Filters">
        {session.ownProject === undefined ? (
          <label class="field field-inline">
            <span class="field-label">Project</span>
            <select
              class="select"
              value={scope ?? ''}
              onChange={(e) =>
                setParams((params) => {
                  const value = e.currentTarget.value;
                  if (value === '') params.delete('project');
                  else params.set('project', value);
                })
              }
            >
              <option value="">All projects</option>
              {projectIds.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <div class="chips" role="group" aria-label="Status">
          <button type="button" class="chip" aria-pressed={statusFilter.size === 0} onClick={() => setParams((p) => p.delete('status'))}>
            All <span class="chip-count">{live.rows.length}</span>
          </button>
          {WEBHOOK_STATUSES.map((status) => (
            <button
              key={status}
              type="button"
              class={`chip chip-${status}`}
              aria-pressed={statusFilter.has(status)}
              onClick={() => toggleStatus(status)}
              data-filter={status}
            >
              <span class="chip-dot" aria-hidden="true" />
              {STATUS_LABEL[status]} <span class="chip-count">{counts[status]}</span>
            </button>
          ))}
        </div>
      </div>

      {pendingShown > 0 ? (
        <div class="pending-bar">
          <button
            type="button"
            class="button button-primary button-small pending-button"
            onClick={() => {
              window.scrollTo({ top: 0, behavior: 'smooth' });
              live.showPending();
            }}
          >
            <ArrowUpIcon /> {plural(pendingShown, 'new webhook')}
          </button>
        </div>
      ) : null}

      {live.historyState === 'error' ? (
        <p class="notice notice-error" role="alert">
          The history could not be loaded: {live.historyError}. New webhooks still appear below.
        </p>
      ) : null}

      {shown.length === 0 ? (
        <EmptyFeed filtered={statusFilter.size > 0 && live.rows.length > 0} loading={live.historyState === 'loading'} scope={scope} />
      ) : (
        <ul class="rows" data-rows aria-label="Webhooks" onKeyDown={onRowKeyDown}>
          {shown.map((row) => (
            <FeedRowItem key={row.id} row={row} fresh={row.changedAt !== undefined && now - row.changedAt < FRESH_MS} showProject={scope === undefined} />
          ))}
        </ul>
      )}

      {live.hasOlder ? (
        <div class="list-foot">
          <button type="button" class="button" onClick={() => void live.loadOlder()} disabled={live.loadingOlder}>
            {live.loadingOlder ? 'Loading…' : 'Load older webhooks'}
          </button>
        </div>
      ) : null}
    </section>
  );
}

export function FeedRowItem({ row, fresh, showProject }: { row: FeedRow; fresh: boolean; showProject: boolean }) {
  // The path only: feed entries carry no query (the webhook's page shows it).
  const target = requestTarget(row.path, undefined);
  return (
    <li class={`row ${fresh ? 'row-fresh' : ''}`} data-id={row.id} data-status={row.status}>
      <a class="row-link" href={hrefOf.webhook(row.id)} data-row>
        <span class="row-status">
          <StatusBadge status={row.status} />
        </span>
        <span class="row-request">
          <span class="method">{row.method || '—'}</span>
          <span class="path" title={target}>
            {target}
          </span>
        </span>
        {showProject ? <span class="row-project">{row.projectId}</span> : null}
        <span class="row-targets">
          <TargetsSummary targets={row.targets} />
        </span>
        <time class="row-time" dateTime={new Date(row.receivedAt).toISOString()} title={fullTime(row.receivedAt)}>
          {shortTime(row.receivedAt)}
        </time>
      </a>
    </li>
  );
}

function EmptyFeed({ filtered, loading, scope }: { filtered: boolean; loading: boolean; scope: string | undefined }) {
  const { projects } = useConsole();
  if (loading) return <p class="empty muted">Loading…</p>;
  if (filtered) return <p class="empty muted">No webhook in the list has the statuses chosen.</p>;
  const example = projects.find((p) => scope === undefined || p.projectId === scope);
  return (
    <div class="empty">
      <p class="empty-title">Waiting for webhooks</p>
      <p class="muted">They appear here the moment the relay accepts them.</p>
      {example ? (
        <pre class="code code-inline">
          curl -X POST {example.webhookUrl} -H 'content-type: application/json' -d '{'{"hello":"world"}'}'
        </pre>
      ) : null}
    </div>
  );
}
