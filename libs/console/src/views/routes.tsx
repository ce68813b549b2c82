import { useEffect, useState } from 'preact/hooks';
import { WEBHOOK_STATUSES, type ProjectView, type RefusedRoute } from '../api/schemas.js';
import { CopyButton } from '../components/copy-button.js';
import { useConsole } from '../context.js';
import { STATUS_LABEL, bytes, duration, plural } from '../format.js';
import { hrefOf } from '../router.js';

/** Counts go stale as webhooks arrive; the page reads them again this often while open. */
const REFRESH_MS = 15_000;

function backoffInWords(delivery: ProjectView['delivery']): string {
  const delay = duration(delivery.backoffDelayMs);
  switch (delivery.backoffPolicy) {
    case 'fixed':
      return `${delay} apart`;
    case 'linear':
      return `${delay} × n apart`;
    case 'exponential':
      return `${delay} × 2ⁿ apart`;
  }
}

export function RoutesPage() {
  const { projects, refused, refreshProjects } = useConsole();
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const refresh = () => refreshProjects().then(() => setError(undefined), (err: unknown) => setError(err instanceof Error ? err.message : String(err)));
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refreshProjects]);

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <div>
          <h1 id="page-title" tabIndex={-1}>
            Routes
          </h1>
          <p class="muted">Each project's WebhookRoute: where providers send, where the relay delivers, and how it retries.</p>
        </div>
      </div>
      {error ? (
        <p class="notice notice-error" role="alert">
          The routes could not be refreshed: {error}
        </p>
      ) : null}
      {projects.length === 0 && refused.length === 0 ? (
        <div class="empty">
          <p class="empty-title">No routes yet</p>
          <p class="muted">
            Add a WebhookRoute (<code>kubectl apply -f route.yaml</code>, or a file in <code>ROUTES_DIR</code> locally).
          </p>
        </div>
      ) : projects.length === 0 ? null : (
        <ul class="route-cards">
          {projects.map((p) => (
            <RouteCard key={p.projectId} project={p} />
          ))}
        </ul>
      )}
      {refused.length > 0 ? (
        <section class="refused" aria-labelledby="refused-title">
          <h2 id="refused-title" class="section-title">
            Not served
          </h2>
          <p class="muted">Route documents the operator refused: nothing is routed for them until they are fixed.</p>
          <ul class="refused-list">
            {refused.map((r) => (
              <RefusedCard key={r.source} route={r} />
            ))}
          </ul>
        </section>
      ) : null}
      <p class="muted small footnote">
        The same conditions are on each WebhookRoute: <code>kubectl get whr</code>.
      </p>
    </section>
  );
}

function RouteCard({ project: p }: { project: ProjectView }) {
  const ready = p.ready.status === 'True';
  const titleId = `route-${p.projectId}`;
  return (
    <li class="card route-card" aria-labelledby={titleId} data-project={p.projectId}>
      <header class="card-head">
        <h2 id={titleId} class="card-title">
          {p.projectId}
        </h2>
        <span class={`ready ${ready ? 'ready-true' : 'ready-false'}`} title={p.ready.message}>
          <span class="badge-dot" aria-hidden="true" />
          {ready ? 'Ready' : p.ready.status === 'False' ? 'Not ready' : 'Unknown'}
          <span class="ready-reason">· {p.ready.reason}</span>
        </span>
        <a class="button button-ghost button-small card-link" href={`${hrefOf.live(new URLSearchParams({ project: p.projectId }))}`}>
          Live feed
        </a>
      </header>
      <p class="muted small">
        {p.ready.message} · <span class="mono">{p.source}</span>
      </p>

      <div class="url-field">
        <span class="field-label" id={`${titleId}-url`}>
          Webhook URL
        </span>
        <div class="url-row">
          <code class="url" aria-labelledby={`${titleId}-url`}>
            {p.webhookUrl}
          </code>
          <CopyButton text={p.webhookUrl} label={`Copy webhook URL of ${p.projectId}`} what="the webhook URL" compact />
        </div>
      </div>

      <div class="card-cols">
        <section aria-label="Targets">
          <h3 class="subhead">{plural(p.targets.length, 'target')}</h3>
          <ul class="target-list">
            {p.targets.map((t) => (
              <li key={t.name}>
                <span class="target-list-name">{t.name}</span>
                <span class="mono small truncate" title={t.url}>
                  {t.url}
                </span>
                {t.headerNames.length > 0 ? <span class="muted small">adds {t.headerNames.join(', ')}</span> : null}
              </li>
            ))}
          </ul>
        </section>
        <section aria-label="Delivery policy">
          <h3 class="subhead">Delivery</h3>
          <dl class="policy">
            <dt>Attempts</dt>
            <dd>
              {p.delivery.attempts}, {backoffInWords(p.delivery)}
            </dd>
            <dt>Longest wait</dt>
            <dd>{duration(p.delivery.backoffMaxMs)}</dd>
            <dt>Timeout</dt>
            <dd>{duration(p.delivery.timeoutMs)} per attempt</dd>
            <dt>Retry-After</dt>
            <dd>honoured up to {duration(p.delivery.retryAfterMaxMs)}</dd>
            <dt>Body limit</dt>
            <dd>{bytes(p.maxBodyBytes)}</dd>
            {p.dedupeHeader ? (
              <>
                <dt>Dedupe by</dt>
                <dd class="mono">{p.dedupeHeader}</dd>
              </>
            ) : null}
          </dl>
        </section>
      </div>

      <ul class="stats" aria-label="Webhooks in history by status">
        <li>
          <span class="stat-value">{p.counts.total}</span>
          <span class="stat-label">in history</span>
        </li>
        {WEBHOOK_STATUSES.map((s) => (
          <li key={s} class={`stat ${p.counts.byStatus[s] > 0 ? `stat-${s}` : ''}`}>
            <span class="stat-value">{p.counts.byStatus[s]}</span>
            <span class="stat-label">{STATUS_LABEL[s].toLowerCase()}</span>
          </li>
        ))}
      </ul>
    </li>
  );
}

function RefusedCard({ route }: { route: RefusedRoute }) {
  return (
    <li class="card refused-card" data-source={route.source}>
      <header class="card-head">
        <h3 class="card-title">{route.projectId ?? route.source}</h3>
        <span class="ready ready-false">
          <span class="badge-dot" aria-hidden="true" />
          Not ready<span class="ready-reason">· {route.ready.reason}</span>
        </span>
      </header>
      {route.projectId !== undefined ? <p class="mono muted small">{route.source}</p> : null}
      <p class="refused-message">{route.ready.message}</p>
    </li>
  );
}
