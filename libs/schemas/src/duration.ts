import { z } from 'zod';

// ISO-8601 durations as Kubernetes users write them (Knative's delivery vocabulary): PT2S, PT1H30M, P1D.
const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds in an ISO-8601 duration, or undefined when it is not one (years, months and weeks are refused). */
export function parseIsoDuration(text: string): number | undefined {
  const m = ISO_DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, d, h, min, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Math.round(Number(s ?? 0) * 1000);
}

export const IsoDuration = z
  .string()
  .max(32)
  .regex(ISO_DURATION, 'must be an ISO-8601 duration such as PT2S, PT1M or P1D')
  .refine((v) => parseIsoDuration(v) !== undefined, 'must be an ISO-8601 duration such as PT2S, PT1M or P1D');

/** Short durations for settings (env): 500ms, 30s, 10m, 12h, 7d. */
export function parseShortDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}
