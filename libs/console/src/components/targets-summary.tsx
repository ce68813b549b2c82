import type { TargetState } from '../api/schemas.js';
import { STATUS_LABEL } from '../format.js';

function detail(t: TargetState): string {
  const parts = [`${t.target}: ${STATUS_LABEL[t.status].toLowerCase()}`];
  if (t.attempts > 0) parts.push(`${t.attempts} attempt${t.attempts === 1 ? '' : 's'}`);
  if (t.lastStatusCode !== undefined) parts.push(`last answer ${t.lastStatusCode}`);
  if (t.lastError) parts.push(t.lastError);
  return parts.join(', ');
}

/** Each target's current delivery, as a compact chip: name, and the last status code or attempt count. */
export function TargetsSummary({ targets }: { targets: readonly TargetState[] }) {
  if (targets.length === 0) return <span class="muted small">no delivery yet</span>;
  return (
    <ul class="targets" aria-label="Targets">
      {targets.map((t) => (
        <li key={t.target} class={`target target-${t.status}`} title={detail(t)}>
          <span class="visually-hidden">{detail(t)}</span>
          <span aria-hidden="true">
            {t.target}
            {t.lastStatusCode !== undefined ? <span class="target-code">{t.lastStatusCode}</span> : null}
            {t.status === 'retrying' && t.attempts > 0 ? <span class="target-code">×{t.attempts}</span> : null}
          </span>
        </li>
      ))}
    </ul>
  );
}
