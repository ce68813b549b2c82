import type { WebhookStatus } from './api/schemas.js';

export const STATUS_LABEL: Record<WebhookStatus, string> = {
  received: 'Received',
  retrying: 'Retrying',
  forwarded: 'Forwarded',
  failed: 'Failed',
  dlq: 'Dead-lettered',
};

/** What each status means, for tooltips and screen readers. */
export const STATUS_MEANING: Record<WebhookStatus, string> = {
  received: 'accepted, not delivered yet',
  retrying: 'an attempt failed; another is scheduled',
  forwarded: 'every target answered 2xx',
  failed: 'the last attempt failed and none is scheduled',
  dlq: 'parked in the dead-letter queue after its attempts ran out',
};

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dayAndTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** "14:03:22" today, "Nov 28, 14:03" before. */
export function shortTime(epochMs: number, now = Date.now()): string {
  const date = new Date(epochMs);
  return new Date(now).toDateString() === date.toDateString() ? timeOfDay.format(date) : dayAndTime.format(date);
}

export function fullTime(epochMs: number): string {
  return full.format(new Date(epochMs));
}

export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** "120 ms", "2.4 s", "3 min". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trimmed(ms / 1000, ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${trimmed(ms / 3_600_000, 1)} h`;
}

/** "2" rather than "2.0". */
function trimmed(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.0+$/, '');
}

/** "+2.0 s" after a reference time. */
export function offset(ms: number): string {
  return `+${duration(Math.max(0, ms))}`;
}

export function relativeTime(epochMs: number, now = Date.now()): string {
  const diff = epochMs - now;
  const abs = Math.abs(diff);
  const text = abs < 5000 ? 'now' : duration(abs);
  if (text === 'now') return 'just now';
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The path and query as the request line shows them. */
export function requestTarget(path: string, query: string | undefined): string {
  const base = path === '' ? '/' : path;
  return query ? `${base}?${query}` : base;
}
