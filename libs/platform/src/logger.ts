import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** JSON logs, one line each; `service` on every line. Secrets are redacted wherever they could appear. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = {
    name: 'hookrelay',
    level,
    base: { service },
    redact: {
      paths: ['secret', '*.secret', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
