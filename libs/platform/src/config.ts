import { z } from 'zod';
import { parseShortDuration } from '@hookrelay/schemas';

/** Raised when an environment variable does not parse; the message names every variable that is wrong. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: z.core.$ZodIssue[]) {
    super(
      'invalid configuration: ' +
        issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`).join('; '),
    );
  }
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const shortDuration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseShortDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration such as 30s, 10m, 12h or 7d` });
        return z.NEVER;
      }
      return ms;
    });

/** Settings every service reads (DESIGN.md, The contract other tools rely on). */
export const CommonEnv = z.object({
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  HISTORY_RETENTION: shortDuration('7d'),
  HOOKRELAY_PUBLIC_URL: z.url().default('http://localhost:8080'),
});
export type CommonEnv = z.infer<typeof CommonEnv>;

/** Parses the environment once, at start; a wrong value stops the start with a message that names it. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues);
  return parsed.data;
}
