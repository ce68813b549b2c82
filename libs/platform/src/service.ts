import type { Logger } from 'pino';

export interface RunningService {
  /** Stops taking work, finishes or returns what is in flight, drains NATS, closes stores. */
  stop(): Promise<void>;
}

/**
 * Runs a service as a process: starts it, stops it cleanly on SIGTERM/SIGINT, and exits non-zero when the
 * start fails (a wrong setting names itself in the message).
 */
export function runAsProcess(name: string, log: Logger, start: () => Promise<RunningService>): void {
  let service: RunningService | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${name} stopping`);
    const force = setTimeout(() => {
      log.error(`${name} did not stop within 15s; exiting`);
      process.exit(1);
    }, 15_000);
    force.unref();
    try {
      await service?.stop();
      log.info(`${name} stopped`);
      process.exit(0);
    } catch (err) {
      log.error({ err }, `${name} failed to stop cleanly`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  start()
    .then((s) => {
      service = s;
      log.info(`${name} started`);
    })
    .catch((err: unknown) => {
      log.fatal({ err }, `${name} failed to start`);
      process.exit(1);
    });
}
