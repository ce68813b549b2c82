import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';

/**
 * Changes to webhook_counts gathered over one transaction and written once at its end: a handful of
 * upserts per batch instead of one per row.
 */
export class StatusCountChanges {
  private readonly deltas = new Map<string, { projectId: string; status: string; delta: number }>();
  private readonly upsert: Statement<[string, string, number]>;

  constructor(db: SqliteDatabase) {
    this.upsert = db.prepare(`
      INSERT INTO webhook_counts (project_id, status, count) VALUES (?, ?, ?)
      ON CONFLICT (project_id, status) DO UPDATE SET count = count + excluded.count`);
  }

  add(projectId: string, status: string, delta: number): void {
    const key = `${projectId}\u0000${status}`;
    const held = this.deltas.get(key);
    if (held) held.delta += delta;
    else this.deltas.set(key, { projectId, status, delta });
  }

  move(from: { projectId: string; status: string }, to: { projectId: string; status: string }): void {
    this.add(from.projectId, from.status, -1);
    this.add(to.projectId, to.status, +1);
  }

  /** Writes what was gathered; call inside the transaction that made the changes. */
  write(): void {
    for (const { projectId, status, delta } of this.deltas.values()) if (delta !== 0) this.upsert.run(projectId, status, delta);
    this.deltas.clear();
  }

  /** Forgets what was gathered (the transaction rolled back). */
  discard(): void {
    this.deltas.clear();
  }
}
