/**
 * Schema migrations, numbered and applied in order at start (PRAGMA user_version holds the last applied).
 * Never edit one that has shipped: add the next.
 *
 * Rows hold two kinds of columns. Facts are merged from messages with order-free operations (min, max, a
 * fixed tie-break), so any arrival order and any number of redeliveries give the same facts; derived
 * columns (statuses, counts, last error) are recomputed from the facts after each batch.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'webhooks, deliveries, attempts',
    sql: `
      -- One row per webhook. A row created by a delivery event before its webhook arrived has captured = 0,
      -- empty request fields, and received_at from the id's timestamp. The body is last so that reading the
      -- other columns does not walk its overflow pages.
      CREATE TABLE webhooks (
        id           TEXT PRIMARY KEY,
        project_id   TEXT NOT NULL,
        received_at  INTEGER NOT NULL,
        status       TEXT NOT NULL DEFAULT 'received',
        method       TEXT NOT NULL DEFAULT '',
        path         TEXT NOT NULL DEFAULT '',
        query        TEXT NOT NULL DEFAULT '',
        content_type TEXT,
        body_size    INTEGER NOT NULL DEFAULT 0,
        source_ip    TEXT NOT NULL DEFAULT '',
        dedupe_key   TEXT,
        captured     INTEGER NOT NULL DEFAULT 0,
        headers      TEXT NOT NULL DEFAULT '[]',
        body         BLOB
      );
      -- The list queries: newest first, optionally by project, status, provider delivery id.
      CREATE INDEX webhooks_by_time ON webhooks (received_at, id);
      CREATE INDEX webhooks_by_project ON webhooks (project_id, received_at, id);
      CREATE INDEX webhooks_by_project_status ON webhooks (project_id, status, received_at, id);
      CREATE INDEX webhooks_by_status ON webhooks (status, received_at, id);
      CREATE INDEX webhooks_by_dedupe_key ON webhooks (dedupe_key, received_at, id) WHERE dedupe_key IS NOT NULL;

      -- One row per delivery (a dispatch or replay of a webhook to one target).
      CREATE TABLE deliveries (
        id               TEXT PRIMARY KEY,
        webhook_id       TEXT NOT NULL,
        project_id       TEXT NOT NULL,
        target           TEXT NOT NULL,
        -- facts
        url              TEXT,
        first_seen_at    INTEGER NOT NULL,
        max_attempt      INTEGER NOT NULL DEFAULT 0,
        forwarded_at     INTEGER,
        dlq_at           INTEGER,
        dlq_reason       TEXT,
        dlq_stream_seq   INTEGER,
        failed_at        INTEGER,
        failed_error     TEXT,
        -- derived
        status           TEXT NOT NULL DEFAULT 'retrying',
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_status_code INTEGER,
        last_error       TEXT,
        next_attempt_at  INTEGER
      );
      CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id);

      -- One row per attempt of a delivery, as the forwarder reported it.
      CREATE TABLE attempts (
        delivery_id      TEXT NOT NULL,
        n                INTEGER NOT NULL,
        webhook_id       TEXT NOT NULL,
        outcome          TEXT NOT NULL,
        started_at       INTEGER NOT NULL,
        duration_ms      REAL,
        status_code      INTEGER,
        error            TEXT,
        error_stack      TEXT,
        response_snippet TEXT,
        next_attempt_at  INTEGER,
        PRIMARY KEY (delivery_id, n)
      ) WITHOUT ROWID;

      -- Webhooks per project and status, kept by triggers so the counts query reads a handful of rows.
      CREATE TABLE webhook_counts (
        project_id TEXT NOT NULL,
        status     TEXT NOT NULL,
        count      INTEGER NOT NULL,
        PRIMARY KEY (project_id, status)
      ) WITHOUT ROWID;
      CREATE TRIGGER webhook_counts_insert AFTER INSERT ON webhooks BEGIN
        INSERT INTO webhook_counts (project_id, status, count) VALUES (new.project_id, new.status, 1)
          ON CONFLICT (project_id, status) DO UPDATE SET count = count + 1;
      END;
      CREATE TRIGGER webhook_counts_update AFTER UPDATE OF project_id, status ON webhooks
        WHEN old.project_id IS NOT new.project_id OR old.status IS NOT new.status BEGIN
        UPDATE webhook_counts SET count = count - 1 WHERE project_id = old.project_id AND status = old.status;
        INSERT INTO webhook_counts (project_id, status, count) VALUES (new.project_id, new.status, 1)
          ON CONFLICT (project_id, status) DO UPDATE SET count = count + 1;
      END;
      CREATE TRIGGER webhook_counts_delete AFTER DELETE ON webhooks BEGIN
        UPDATE webhook_counts SET count = count - 1 WHERE project_id = old.project_id AND status = old.status;
      END;

      -- Small settings the service keeps about itself (for example whether its consumers match this file).
      CREATE TABLE state_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];
