import type { Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import { StatusCountChanges } from './counts.js';
import type { SqliteDatabase } from './database.js';

/** Webhooks removed per transaction: small, so a purge never holds the writer for more than a few ms. */
export const PURGE_BATCH = 500;

/**
 * Removes webhooks received before a cutoff, with their deliveries and attempts, oldest first, in small
 * transactions. The caller yields to the event loop between batches so applying and queries go on.
 */
export class RetentionPurger {
  private readonly oldest: Statement<[number, number], { id: string; project_id: string; status: string; payload_ref: number | null }>;
  private readonly purgeBatch: (rows: { id: string; project_id: string; status: string; payload_ref: number | null }[]) => void;

  constructor(db: SqliteDatabase) {
    this.oldest = db.prepare('SELECT id, project_id, status, payload_ref FROM webhooks WHERE received_at < ? ORDER BY received_at LIMIT ?');
    const deleteAttempts = db.prepare('DELETE FROM attempts WHERE webhook_id = ?');
    const deletePayload = db.prepare('DELETE FROM webhook_payloads WHERE ref = ?');
    const deleteDeliveries = db.prepare('DELETE FROM deliveries WHERE webhook_id = ?');
    const deleteWebhook = db.prepare('DELETE FROM webhooks WHERE id = ?');
    const counts = new StatusCountChanges(db);
    this.purgeBatch = db.transaction((rows: { id: string; project_id: string; status: string; payload_ref: number | null }[]) => {
      try {
        for (const { id, project_id, status, payload_ref } of rows) {
          deleteAttempts.run(id);
          deleteDeliveries.run(id);
          if (payload_ref !== null) deletePayload.run(payload_ref);
          if (deleteWebhook.run(id).changes > 0) counts.add(project_id, status, -1);
        }
        counts.write();
      } catch (err) {
        counts.discard();
        throw err;
      }
    });
  }

  /** Purges one batch; returns how many webhooks it removed (fewer than the batch size: done). */
  purgeOnce(cutoff: number, batchSize = PURGE_BATCH): number {
    const rows = this.oldest.all(cutoff, batchSize);
    if (rows.length > 0) this.purgeBatch(rows);
    return rows.length;
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Purges every `intervalMs` what is older than `retentionMs`, until stopped. */
export function startRetention(
  purger: RetentionPurger,
  options: { retentionMs: number; intervalMs: number; onPurged: (count: number) => void },
  log: Logger,
): { stop(): Promise<void>; runNow(): Promise<number> } {
  let stopped = false;
  let running: Promise<number> | undefined;

  const run = async (): Promise<number> => {
    const cutoff = Date.now() - options.retentionMs;
    let total = 0;
    while (!stopped) {
      const purged = purger.purgeOnce(cutoff);
      total += purged;
      options.onPurged(purged);
      if (purged < PURGE_BATCH) break;
      await nextTurn();
    }
    if (total > 0) log.info({ purged: total, cutoff: new Date(cutoff).toISOString() }, 'purged webhooks past retention');
    return total;
  };

  const runNow = (): Promise<number> => {
    running ??= run()
      .catch((err: unknown) => {
        log.error({ err }, 'retention purge failed; trying again at the next interval');
        return 0;
      })
      .finally(() => (running = undefined));
    return running;
  };

  const timer = setInterval(() => void runNow(), options.intervalMs);
  timer.unref();
  return {
    runNow,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
