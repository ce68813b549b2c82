import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs, one line each; `service` on every line. Secrets are redacted wherever they could appear. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: 'hookrelay',
    level,
    base: { service },
    redact: {
      paths: ['secret', '*.secret', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
