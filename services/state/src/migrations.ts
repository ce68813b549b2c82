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
      -- One row per webhook, clustered by id (WITHOUT ROWID: a lookup is one B-tree descent). A row created by
      -- a delivery event before its webhook arrived has captured = 0, empty request fields, no payload, and
      -- received_at from the id's timestamp. Headers and body live in webhook_payloads, so these rows stay
      -- small and the pages the lists and the writer touch stay in cache.
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
        payload_ref  INTEGER
      ) WITHOUT ROWID;
      -- The list queries: newest first, optionally by project, status, provider delivery id. A project with
      -- no status filter walks webhooks_by_project_status once per status and merges: one index fewer to
      -- keep up on every insert.
      CREATE INDEX webhooks_by_time ON webhooks (received_at, id);
      CREATE INDEX webhooks_by_project_status ON webhooks (project_id, status, received_at, id);
      CREATE INDEX webhooks_by_status ON webhooks (status, received_at, id);
      CREATE INDEX webhooks_by_dedupe_key ON webhooks (dedupe_key, received_at, id) WHERE dedupe_key IS NOT NULL;

      -- The captured request as ingest recorded it (WebhookMeta JSON: headers in arrival order, duplicates
      -- kept; stored as received rather than parsed and rebuilt) and the raw body (binary-safe). Appended in
      -- rowid order: an insert touches only the last page.
      CREATE TABLE webhook_payloads (
        ref     INTEGER PRIMARY KEY,
        request TEXT NOT NULL,
        body    BLOB NOT NULL
      );

      -- One row per delivery (a dispatch or replay of a webhook to one target), clustered under its webhook.
      CREATE TABLE deliveries (
        webhook_id       TEXT NOT NULL,
        id               TEXT NOT NULL,
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
        next_attempt_at  INTEGER,
        PRIMARY KEY (webhook_id, id)
      ) WITHOUT ROWID;

      -- One row per attempt of a delivery, as the forwarder reported it, clustered under its webhook.
      CREATE TABLE attempts (
        webhook_id       TEXT NOT NULL,
        delivery_id      TEXT NOT NULL,
        n                INTEGER NOT NULL,
        outcome          TEXT NOT NULL,
        started_at       INTEGER NOT NULL,
        duration_ms      REAL,
        status_code      INTEGER,
        error            TEXT,
        error_stack      TEXT,
        response_snippet TEXT,
        next_attempt_at  INTEGER,
        PRIMARY KEY (webhook_id, delivery_id, n)
      ) WITHOUT ROWID;

      -- Webhooks per project and status, so the counts query reads a handful of rows. Kept by the code that
      -- writes webhooks (apply, retention), once per batch: triggers doing it row by row halved the insert rate.
      CREATE TABLE webhook_counts (
        project_id TEXT NOT NULL,
        status     TEXT NOT NULL,
        count      INTEGER NOT NULL,
        PRIMARY KEY (project_id, status)
      ) WITHOUT ROWID;

      -- Small settings the service keeps about itself (for example whether its consumers match this file).
      CREATE TABLE state_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];
