import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, UnauthorizedError, type WebhookFilter } from '../api/client.js';
import type { BulkRetryResult, WebhookPage, WebhookSummary } from '../api/schemas.js';
import { announce } from '../components/announcer.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { RetryIcon } from '../components/icons.js';
import { StatusBadge } from '../components/status-badge.js';
import { TargetsSummary } from '../components/targets-summary.js';
import { useConsole } from '../context.js';
import { fullTime, plural, requestTarget, shortTime } from '../format.js';
import { useFeedEntries } from '../live-entries.js';
import { hrefOf } from '../router.js';
import { onRowKeyDown } from './live.js';

const WHICH = ['both', 'dlq', 'failed'] as const;
type Which = (typeof WHICH)[number];
const PERIODS = ['all', '1h', '24h', '7d'] as const;
type Period = (typeof PERIODS)[number];

/** The option a <select> chose, typed; its values are ours, so the fallback is never needed in practice. */
function chosen<T extends string>(options: readonly T[], value: string, fallback: T): T {
  return options.find((option) => option === value) ?? fallback;
}

const PERIOD_MS: Record<Exclude<Period, 'all'>, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };
const PERIOD_LABEL: Record<Period, string> = { all: 'Any time', '1h': 'Last hour', '24h': 'Last 24 hours', '7d': 'Last 7 days' };
const WHICH_LABEL: Record<Which, string> = { both: 'Failed and dead-lettered', dlq: 'Dead-lettered', failed: 'Failed' };
const PAGE_SIZE = 100;
/** Single retries in flight at once when retrying a selection. */
const RETRY_CONCURRENCY = 4;

interface Filter {
  projectId: string | undefined;
  which: Which;
  period: Period;
}

function fetchPage(api: ReturnType<typeof useConsole>['session']['api'], filter: Filter, since: number | undefined, cursor?: string): Promise<WebhookPage> {
  const query: WebhookFilter = { projectId: filter.projectId, since, limit: PAGE_SIZE, cursor };
  return filter.which === 'both' ? api.listFailedWebhooks(query) : api.listWebhooks({ ...query, statuses: [filter.which] });
}

export function FailedPage() {
  const { session, projects, signOut } = useConsole();
  const isAdmin = session.role === 'admin';
  const [filter, setFilter] = useState<Filter>({ projectId: session.ownProject, which: 'both', period: 'all' });
  const [rows, setRows] = useState<WebhookSummary[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [state, setState] = useState<'loading' | 'loaded' | 'error'>('loading');
  const [error, setError] = useState<string | undefined>(undefined);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dialog, setDialog] = useState<'selection' | 'filter' | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  /** The `since` of the loaded pages, fixed when the filter is applied so "Load more" continues the same query. */
  const [since, setSince] = useState<number | undefined>(undefined);

  const failed = useCallback(
    (err: unknown) => {
      if (err instanceof UnauthorizedError) signOut('The gateway no longer accepts your token. Sign in again.');
      return err instanceof Error ? err.message : String(err);
    },
    [signOut],
  );

  const load = useCallback(async () => {
    setState('loading');
    const from = filter.period === 'all' ? undefined : Date.now() - PERIOD_MS[filter.period];
    setSince(from);
    try {
      const page = await fetchPage(session.api, filter, from);
      setRows(page.items);
      setCursor(page.nextCursor);
      setSelected(new Set());
      setState('loaded');
    } catch (err) {
      setError(failed(err));
      setState('error');
    }
  }, [session, filter, failed]);

  useEffect(() => void load(), [load]);

  // A retried webhook changes status on the feed: its row shows where it stands now.
  useFeedEntries(filter.projectId, (entry) => {
    setRows((list) => (list.some((r) => r.id === entry.id) ? list.map((r) => (r.id === entry.id ? { ...r, status: entry.status, targets: entry.targets } : r)) : list));
  });

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const page = await fetchPage(session.api, filter, since, cursor);
      setRows((list) => [...list, ...page.items.filter((item) => !list.some((r) => r.id === item.id))]);
      setCursor(page.nextCursor);
    } catch (err) {
      announce(`Could not load more: ${failed(err)}`, 'error');
    }
  };

  const retryable = rows.filter((r) => r.status === 'failed' || r.status === 'dlq');
  const allSelected = retryable.length > 0 && retryable.every((r) => selected.has(r.id));
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const retrySelection = async () => {
    setBusy(true);
    const ids = [...selected];
    let done = 0;
    let nothing = 0;
    const errors: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        try {
          await session.api.retry(id);
          done++;
        } catch (err) {
          if (err instanceof ApiError && err.status === 409) nothing++;
          else errors.push(failed(err));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(RETRY_CONCURRENCY, ids.length) }, worker));
    setBusy(false);
    setDialog(undefined);
    setSelected(new Set());
    const parts = [`Retried ${plural(done, 'webhook')}`];
    if (nothing > 0) parts.push(`${nothing} had nothing left to retry`);
    if (errors.length > 0) parts.push(`${errors.length} failed (${errors[0]})`);
    announce(parts.join('; '), errors.length > 0 ? 'error' : 'info');
  };

  const retryFilter = async () => {
    setBusy(true);
    try {
      const result: BulkRetryResult = await session.api.retryMatching({
        ...(filter.projectId !== undefined ? { projectId: filter.projectId } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(filter.which !== 'both' ? { statuses: [filter.which] } : {}),
      });
      const parts = [`Retried ${plural(result.retried, 'webhook')} of ${result.matched} matching`];
      if (result.skipped > 0) parts.push(`${result.skipped} had nothing left to retry`);
      if (result.truncated) parts.push('more matched than one request retries: run it again');
      announce(parts.join('; '));
      setDialog(undefined);
    } catch (err) {
      announce(`Retry failed: ${failed(err)}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  const filterInWords = [
    WHICH_LABEL[filter.which].toLowerCase(),
    'webhooks',
    filter.projectId ? `of project ${filter.projectId}` : 'of every project',
    filter.period === 'all' ? '' : `received in the ${PERIOD_LABEL[filter.period].toLowerCase()}`,
  ]
    .filter(Boolean)
    .join(' ');

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <div>
          <h1 id="page-title" tabIndex={-1}>
            Failed
          </h1>
          <p class="muted">Webhooks whose delivery failed or was dead-lettered. Retry sends them again to the targets that did not take them.</p>
        </div>
      </div>

      <div class="toolbar" role="group" aria-label="Filters">
        {session.ownProject === undefined ? (
          <label class="field field-inline">
            <span class="field-label">Project</span>
            <select class="select" value={filter.projectId ?? ''} onChange={(e) => setFilter({ ...filter, projectId: e.currentTarget.value || undefined })}>
              <option value="">All projects</option>
              {projects.map((p) => (
                <option key={p.projectId} value={p.projectId}>
                  {p.projectId}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label class="field field-inline">
          <span class="field-label">Status</span>
          <select class="select" value={filter.which} onChange={(e) => setFilter({ ...filter, which: chosen(WHICH, e.currentTarget.value, 'both') })}>
            {WHICH.map((w) => (
              <option key={w} value={w}>
                {WHICH_LABEL[w]}
              </option>
            ))}
          </select>
        </label>
        <label class="field field-inline">
          <span class="field-label">Received</span>
          <select class="select" value={filter.period} onChange={(e) => setFilter({ ...filter, period: chosen(PERIODS, e.currentTarget.value, 'all') })}>
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                {PERIOD_LABEL[p]}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="button button-ghost" onClick={() => void load()}>
          Refresh
        </button>
        {isAdmin ? (
          <div class="toolbar-end">
            <button type="button" class="button" onClick={() => setDialog('selection')} disabled={selected.size === 0}>
              <RetryIcon /> Retry selected{selected.size > 0 ? ` (${selected.size})` : ''}
            </button>
            <button type="button" class="button button-primary" onClick={() => setDialog('filter')} disabled={state !== 'loaded' || retryable.length === 0}>
              <RetryIcon /> Retry all matching
            </button>
          </div>
        ) : null}
      </div>

      {state === 'error' ? (
        <p class="notice notice-error" role="alert">
          The failed webhooks could not be loaded: {error}
        </p>
      ) : state === 'loading' && rows.length === 0 ? (
        <p class="empty muted">Loading…</p>
      ) : rows.length === 0 ? (
        <div class="empty">
          <p class="empty-title">Nothing failed</p>
          <p class="muted">No {filterInWords}.</p>
        </div>
      ) : (
        <div class="table-scroll">
          <table class="grid-table" data-rows onKeyDown={onRowKeyDown}>
            <caption class="visually-hidden">{filterInWords}</caption>
            <thead>
              <tr>
                {isAdmin ? (
                  <th scope="col" class="col-check">
                    <input
                      type="checkbox"
                      aria-label="Select every retryable webhook shown"
                      checked={allSelected}
                      onChange={() => setSelected(allSelected ? new Set() : new Set(retryable.map((r) => r.id)))}
                    />
                  </th>
                ) : null}
                <th scope="col" class="col-status">
                  Status
                </th>
                <th scope="col">Request</th>
                <th scope="col" class="col-project">
                  Project
                </th>
                <th scope="col" class="col-targets">
                  Targets
                </th>
                <th scope="col" class="col-time">
                  Received
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => {
                const canRetry = row.status === 'failed' || row.status === 'dlq';
                const target = requestTarget(row.path, row.query);
                return (
                  <tr key={row.id} data-id={row.id} data-status={row.status} class={selected.has(row.id) ? 'selected' : ''}>
                    {isAdmin ? (
                      <td class="col-check">
                        <input
                          type="checkbox"
                          aria-label={`Select ${row.method} ${target} of ${fullTime(row.receivedAt)}`}
                          checked={selected.has(row.id)}
                          disabled={!canRetry}
                          onChange={() => toggle(row.id)}
                        />
                      </td>
                    ) : null}
                    <td class="col-status">
                      <StatusBadge status={row.status} />
                    </td>
                    <td class="col-request">
                      <a href={hrefOf.webhook(row.id)} data-row class="request-link">
                        <span class="method">{row.method || '—'}</span> <span class="path">{target}</span>
                      </a>
                      <span class="only-narrow muted small">
                        {row.projectId} · {shortTime(row.receivedAt)}
                      </span>
                    </td>
                    <td class="col-project">{row.projectId}</td>
                    <td class="col-targets">
                      <TargetsSummary targets={row.targets} />
                      {row.targets.find((t) => t.lastError)?.lastError ? <div class="muted small truncate">{row.targets.find((t) => t.lastError)?.lastError}</div> : null}
                    </td>
                    <td class="col-time">
                      <time dateTime={new Date(row.receivedAt).toISOString()} title={fullTime(row.receivedAt)}>
                        {shortTime(row.receivedAt)}
                      </time>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {cursor ? (
        <div class="list-foot">
          <button type="button" class="button" onClick={() => void loadMore()}>
            Load more
          </button>
        </div>
      ) : null}

      <ConfirmDialog
        open={dialog === 'selection'}
        title={`Retry ${plural(selected.size, 'webhook')}?`}
        confirmLabel="Retry"
        busy={busy}
        onConfirm={() => void retrySelection()}
        onCancel={() => setDialog(undefined)}
      >
        <p>Each gets a new delivery to every target whose delivery failed or was dead-lettered. The earlier attempts stay in the history.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={dialog === 'filter'}
        title="Retry everything that matches?"
        confirmLabel="Retry all matching"
        busy={busy}
        onConfirm={() => void retryFilter()}
        onCancel={() => setDialog(undefined)}
      >
        <p>
          Retries all <strong>{filterInWords}</strong>, including those not loaded on this page (up to 1,000 in one go).
        </p>
      </ConfirmDialog>
    </section>
  );
}
