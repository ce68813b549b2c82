import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { migrations, type Migration } from './migrations.js';

export type { Database };
export type SqliteDatabase = Database.Database;

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly migration: Migration,
    options: { cause: unknown },
  ) {
    super(`migration ${migration.version} (${migration.name}) failed`, options);
  }
}

/** Raised when the file was written by a newer build: running old code on it could corrupt it. */
export class DatabaseTooNewError extends Error {
  override readonly name = 'DatabaseTooNewError';
  constructor(path: string, version: number, known: number) {
    super(`${path} has schema version ${version}; this build knows up to ${known}`);
  }
}

/**
 * Opens (creating it and its folder when missing) the history database, in WAL mode, and applies pending
 * migrations. synchronous=FULL: messages are acked after the commit, so the commit must survive a power
 * loss, not only a crash of this process; in WAL mode that is one fsync per batch (~0.2 ms here).
 */
export function openDatabase(path: string, log: Logger): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -65536'); // 64 MiB
    db.pragma('mmap_size = 1073741824'); // reads straight from the page cache, no copy per page
    // Checkpoint every ~40 MiB of WAL rather than 4: index pages changed by many batches are copied once.
    db.pragma('wal_autocheckpoint = 10000');
    migrate(db, path, log);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: SqliteDatabase, path: string, log: Logger): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) throw new DatabaseTooNewError(path, current, latest);
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    try {
      db.transaction(() => {
        db.exec(migration.sql);
        db.pragma(`user_version = ${migration.version}`);
      })();
    } catch (err) {
      throw new MigrationError(migration, { cause: err });
    }
    log.info({ version: migration.version, migration: migration.name, path }, 'applied database migration');
  }
}

export function readMeta(db: SqliteDatabase, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM state_meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function writeMeta(db: SqliteDatabase, key: string, value: string): void {
  db.prepare('INSERT INTO state_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    key,
    value,
  );
}

/** The database file plus its write-ahead log, in bytes. */
export function databaseBytes(path: string): number {
  let total = 0;
  for (const file of [path, `${path}-wal`]) {
    try {
      total += statSync(file).size;
    } catch {
      // The WAL is absent between a checkpoint-on-close and the next write.
    }
  }
  return total;
}
