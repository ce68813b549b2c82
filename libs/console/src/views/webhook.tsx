import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, UnauthorizedError } from '../api/client.js';
import type { AttemptRecord, DeliveryRecord, WebhookDetail } from '../api/schemas.js';
import { announce } from '../components/announcer.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import { BackIcon, ReplayIcon, RetryIcon } from '../components/icons.js';
import { StatusBadge } from '../components/status-badge.js';
import { useConsole } from '../context.js';
import { bytes, duration, fullTime, isoTime, offset, plural, relativeTime, requestTarget, shortTime } from '../format.js';
import { useFeedEntries } from '../live-entries.js';
import { bodyView, curlCommand } from '../request-format.js';
import { liveHref } from './live.js';

type Loaded = { state: 'loading' } | { state: 'error'; message: string; notFound: boolean } | { state: 'loaded'; detail: WebhookDetail };

/** How soon after a feed entry the page reads the webhook again: a burst of entries makes one request. */
const REFRESH_DELAY_MS = 250;

export function WebhookPage({ id }: { id: string }) {
  const { session, signOut } = useConsole();
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [dialog, setDialog] = useState<'retry' | 'replay' | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [replayTarget, setReplayTarget] = useState('');

  const load = useCallback(async () => {
    try {
      setLoaded({ state: 'loaded', detail: await session.api.getWebhook(id) });
    } catch (err) {
      if (err instanceof UnauthorizedError) return signOut('The gateway no longer accepts your token. Sign in again.');
      setLoaded({
        state: 'error',
        message: err instanceof Error ? err.message : String(err),
        notFound: err instanceof ApiError && err.status === 404,
      });
    }
  }, [session, id, signOut]);

  useEffect(() => {
    setLoaded({ state: 'loading' });
    window.scrollTo(0, 0);
    void load();
  }, [load]);

  // Live: each feed entry about this webhook (a new attempt, a retry's outcome) reads it again.
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const projectId = loaded.state === 'loaded' ? loaded.detail.webhook.projectId : undefined;
  useFeedEntries(
    projectId,
    (entry) => {
      if (entry.id !== id) return;
      clearTimeout(refreshTimer.current);
      refreshTimer.current = setTimeout(() => void load(), REFRESH_DELAY_MS);
    },
    projectId !== undefined,
  );
  useEffect(() => () => clearTimeout(refreshTimer.current), []);

  const back = (
    <a class="back-link" href={liveHref()}>
      <BackIcon /> Live feed
    </a>
  );

  if (loaded.state === 'loading') {
    return (
      <section aria-busy="true" aria-labelledby="page-title">
        {back}
        <h1 id="page-title" tabIndex={-1} class="muted">
          Loading webhook…
        </h1>
      </section>
    );
  }
  if (loaded.state === 'error') {
    return (
      <section aria-labelledby="page-title">
        {back}
        <h1 id="page-title" tabIndex={-1}>
          {loaded.notFound ? 'Webhook not found' : 'The webhook could not be loaded'}
        </h1>
        <p class="notice notice-error">{loaded.message}</p>
        {!loaded.notFound ? (
          <button type="button" class="button" onClick={() => void load()}>
            Try again
          </button>
        ) : null}
      </section>
    );
  }

  const { webhook, deliveries, attempts } = loaded.detail;
  const isAdmin = session.role === 'admin';
  const retryable = deliveries.filter((d) => d.current && (d.status === 'failed' || d.status === 'dlq'));
  const targets = [...new Set(deliveries.map((d) => d.target))].sort();

  const act = async (action: 'retry' | 'replay') => {
    setBusy(true);
    try {
      const published =
        action === 'retry' ? await session.api.retry(webhook.id) : await session.api.replay(webhook.id, replayTarget === '' ? undefined : replayTarget);
      const names = published.deliveries.map((d) => d.target).join(', ');
      announce(`${action === 'retry' ? 'Retry' : 'Replay'} sent to ${names || 'no target'}`);
      setDialog(undefined);
      await load();
    } catch (err) {
      if (err instanceof UnauthorizedError) return signOut('The gateway no longer accepts your token. Sign in again.');
      announce(`${action === 'retry' ? 'Retry' : 'Replay'} failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="page-title" class="detail">
      {back}
      <div class="detail-head">
        <div class="detail-title">
          <StatusBadge status={webhook.status} />
          <h1 id="page-title" tabIndex={-1} class="request-line">
            <span class="method">{webhook.method || '—'}</span> <span class="path">{requestTarget(webhook.path, webhook.query)}</span>
          </h1>
        </div>
        <div class="actions">
          {isAdmin ? (
            <>
              <button
                type="button"
                class="button"
                onClick={() => setDialog('retry')}
                disabled={retryable.length === 0}
                title={retryable.length === 0 ? 'Only a failed or dead-lettered delivery can be retried' : undefined}
              >
                <RetryIcon /> Retry
              </button>
              <button type="button" class="button" onClick={() => setDialog('replay')} disabled={!webhook.captured}>
                <ReplayIcon /> Replay
              </button>
            </>
          ) : null}
          <CurlButton detail={loaded.detail} />
        </div>
      </div>

      <dl class="meta">
        <Meta label="Project" value={webhook.projectId} />
        <Meta label="Received" value={<time dateTime={isoTime(webhook.receivedAt)}>{fullTime(webhook.receivedAt)}</time>} />
        <Meta label="Webhook id" value={<span class="mono id-with-copy">{webhook.id} <CopyButton text={webhook.id} label="Copy webhook id" what="the webhook id" compact /></span>} />
        <Meta label="From" value={<span class="mono">{webhook.sourceIp || '—'}</span>} />
        <Meta label="Content type" value={<span class="mono">{webhook.contentType ?? '—'}</span>} />
        <Meta label="Size" value={bytes(webhook.bodySize)} />
        {webhook.dedupeKey ? <Meta label="Delivery id" value={<span class="mono">{webhook.dedupeKey}</span>} /> : null}
      </dl>

      <div class="detail-grid">
        <section class="panel deliveries-panel" aria-labelledby="deliveries-title">
          <h2 id="deliveries-title" class="panel-title">
            Deliveries
          </h2>
          {targets.length === 0 ? <p class="muted">No delivery yet: the forwarder has not reported on this webhook.</p> : null}
          {targets.map((target) => (
            <TargetDeliveries
              key={target}
              target={target}
              deliveries={deliveries.filter((d) => d.target === target)}
              attempts={attempts}
              receivedAt={webhook.receivedAt}
            />
          ))}
        </section>

        <section class="panel request-panel" aria-labelledby="request-title">
          <h2 id="request-title" class="panel-title">
            Request
          </h2>
          <h3 class="subhead">Headers</h3>
          {webhook.headers.length === 0 ? (
            <p class="muted">None captured.</p>
          ) : (
            <div class="table-scroll">
              <table class="headers-table">
                <caption class="visually-hidden">Request headers, in the order they arrived</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Value</th>
                  </tr>
                </thead>
                <tbody>
                  {webhook.headers.map(([name, value], i) => (
                    <tr key={i}>
                      <th scope="row" class="mono">
                        {name}
                      </th>
                      <td class="mono">{value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Body detail={loaded.detail} />
        </section>
      </div>

      <ConfirmDialog
        open={dialog === 'retry'}
        title="Retry this webhook?"
        confirmLabel={`Retry ${plural(retryable.length, 'delivery', 'deliveries')}`}
        busy={busy}
        onConfirm={() => void act('retry')}
        onCancel={() => setDialog(undefined)}
      >
        <p>
          A new delivery goes to each target whose delivery failed or was dead-lettered:{' '}
          <strong>{retryable.map((d) => d.target).join(', ') || 'none'}</strong>. The earlier attempts stay in the history.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={dialog === 'replay'}
        title="Replay this webhook?"
        confirmLabel="Replay"
        busy={busy}
        onConfirm={() => void act('replay')}
        onCancel={() => setDialog(undefined)}
      >
        <p>The captured request is delivered again, as a new delivery with its own attempts, even where it was delivered before.</p>
        <label class="field">
          <span class="field-label">Deliver to</span>
          <select class="select" value={replayTarget} onChange={(e) => setReplayTarget(e.currentTarget.value)}>
            <option value="">Every current target of the route</option>
            {targets.map((t) => (
              <option key={t} value={t}>
                {t} only
              </option>
            ))}
          </select>
        </label>
      </ConfirmDialog>
    </section>
  );
}

function Meta({ label, value }: { label: string; value: ComponentChildren }) {
  return (
    <div class="meta-item">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function CurlButton({ detail }: { detail: WebhookDetail }) {
  const { projects } = useConsole();
  const { webhook } = detail;
  const route = projects.find((p) => p.projectId === webhook.projectId);
  // The route's webhook URL is where the provider sent it; the captured path is what followed it.
  const base = route?.webhookUrl ?? `${window.location.protocol}//${window.location.hostname}:8080/hooks/${webhook.projectId}`;
  const url = `${base.replace(/\/$/, '')}${webhook.path === '/' ? '' : webhook.path}${webhook.query ? `?${webhook.query}` : ''}`;
  const command = curlCommand({ method: webhook.method || 'POST', url, headers: webhook.headers, body: webhook.body });
  return <CopyButton text={command} label="Copy as curl" what="the curl command" />;
}

function deliveryKind(index: number): string {
  return index === 0 ? 'First delivery' : `Delivery ${index + 1} (retry or replay)`;
}

function TargetDeliveries({
  target,
  deliveries,
  attempts,
  receivedAt,
}: {
  target: string;
  deliveries: DeliveryRecord[];
  attempts: AttemptRecord[];
  receivedAt: number;
}) {
  // Newest first: what happens now matters most; earlier deliveries fold away.
  const ordered = deliveries.map((d, i) => ({ delivery: d, index: i })).reverse();
  const [latest, ...earlier] = ordered;
  if (!latest) return null;
  return (
    <article class="target-block" aria-label={`Target ${target}`} data-target={target}>
      <header class="target-head">
        <h3 class="target-name">{target}</h3>
        <StatusBadge status={latest.delivery.status} size="small" />
        {latest.delivery.url ? (
          <span class="mono muted small truncate" title={latest.delivery.url}>
            {latest.delivery.url}
          </span>
        ) : null}
      </header>
      <DeliveryTimeline delivery={latest.delivery} label={deliveryKind(latest.index)} attempts={attempts} receivedAt={receivedAt} showStatus={false} />
      {earlier.length > 0 ? (
        <details class="earlier">
          <summary>{plural(earlier.length, 'earlier delivery', 'earlier deliveries')}</summary>
          {earlier.map(({ delivery, index }) => (
            <DeliveryTimeline key={delivery.id} delivery={delivery} label={deliveryKind(index)} attempts={attempts} receivedAt={receivedAt} showStatus />
          ))}
        </details>
      ) : null}
    </article>
  );
}

function DeliveryTimeline({
  delivery,
  label,
  attempts,
  receivedAt,
  showStatus,
}: {
  delivery: DeliveryRecord;
  label: string;
  attempts: AttemptRecord[];
  receivedAt: number;
  showStatus: boolean;
}) {
  const own = useMemo(() => attempts.filter((a) => a.deliveryId === delivery.id).sort((a, b) => a.n - b.n), [attempts, delivery.id]);
  return (
    <div class="delivery" data-delivery={delivery.id} data-status={delivery.status}>
      <p class="delivery-label">
        {label} <span class="muted">· {plural(delivery.attempts, 'attempt')}</span>
        {showStatus ? (
          <>
            {' '}
            <StatusBadge status={delivery.status} size="small" />
          </>
        ) : null}
      </p>
      <ol class="timeline" aria-label={`${label}: attempts`}>
        {own.map((a) => (
          <li key={a.n} class={`attempt attempt-${a.outcome}`} data-attempt={a.n}>
            <span class="attempt-marker" aria-hidden="true" />
            <div class="attempt-line">
              <span class="attempt-n">Attempt {a.n}</span>
              <time dateTime={isoTime(a.startedAt)} title={fullTime(a.startedAt)}>
                {shortTime(a.startedAt)} <span class="muted">({offset(a.startedAt - receivedAt)})</span>
              </time>
              {a.statusCode !== undefined ? (
                <span class={`code-chip ${a.statusCode < 300 ? 'code-ok' : a.statusCode < 500 ? 'code-client' : 'code-server'}`}>
                  <span class="visually-hidden">HTTP status </span>
                  {a.statusCode}
                </span>
              ) : (
                <span class="code-chip code-none">no answer</span>
              )}
              {a.durationMs !== undefined ? <span class="muted">{duration(a.durationMs)}</span> : null}
            </div>
            {a.error ? <p class="attempt-error">{a.error}</p> : null}
            {a.responseSnippet ? (
              <details class="snippet">
                <summary>Response</summary>
                <pre class="code">{a.responseSnippet}</pre>
              </details>
            ) : null}
            {a.outcome === 'retrying' && a.nextAttemptAt !== undefined && a.n === own.length ? (
              <p class="muted small">Next attempt {relativeTime(a.nextAttemptAt)}</p>
            ) : null}
          </li>
        ))}
        {own.length === 0 ? <li class="attempt attempt-none muted">No attempt reported yet.</li> : null}
      </ol>
      {delivery.status === 'dlq' ? (
        <p class="delivery-note">
          Dead-lettered{delivery.dlqAt !== undefined ? ` ${relativeTime(delivery.dlqAt)}` : ''}
          {delivery.dlqReason ? `: ${delivery.dlqReason}` : ''}
        </p>
      ) : null}
      {delivery.status === 'failed' && delivery.lastError ? <p class="delivery-note">Failed: {delivery.lastError}</p> : null}
    </div>
  );
}

function Body({ detail }: { detail: WebhookDetail }) {
  const { webhook } = detail;
  const view = useMemo(() => bodyView(webhook.body, webhook.contentType), [webhook.body, webhook.contentType]);
  const [raw, setRaw] = useState(false);
  return (
    <>
      <div class="subhead-row">
        <h3 class="subhead">Body</h3>
        {view.kind === 'json' ? (
          <div class="segmented" role="group" aria-label="Body format">
            <button type="button" aria-pressed={!raw} onClick={() => setRaw(false)}>
              Pretty
            </button>
            <button type="button" aria-pressed={raw} onClick={() => setRaw(true)}>
              Raw
            </button>
          </div>
        ) : null}
        {view.kind === 'hex' ? <span class="muted small">binary, {bytes(view.size)}: hex</span> : null}
        {webhook.body && webhook.body.data !== '' ? (
          <CopyButton text={webhook.body.data} label={webhook.body.encoding === 'utf8' ? 'Copy body' : 'Copy body (base64)'} what="the body" compact />
        ) : null}
      </div>
      {webhook.bodyOmitted ? (
        <p class="muted">{webhook.bodyOmitted === 'too_large' ? 'The body is too large to show here.' : 'The body was not captured.'}</p>
      ) : view.kind === 'empty' ? (
        <p class="muted">Empty.</p>
      ) : (
        <pre class={`code body body-${view.kind}`} tabIndex={0} aria-label="Request body" data-body={view.kind}>
          {view.kind === 'json' && raw ? webhook.body?.data : view.text}
        </pre>
      )}
    </>
  );
}
