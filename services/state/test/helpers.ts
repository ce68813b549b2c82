// Shared by the state tests and the bench: builds messages per the stream contracts, publishes them, and
// reads a database back in a form two databases can be compared in.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import {
  Headers,
  StateQueries,
  Subjects,
  decodeStateReply,
  type DeliveryEvent,
  type StateQueryName,
  type StateQueryRequest,
  type StateReply,
  type WebhookMeta,
} from '@hookrelay/schemas';
import { eventually } from '@hookrelay/test-support';
import { StateEnv, startState, type RunningState, type StateOptions } from '../src/index.js';
import { StateConsumers } from '../src/consumers.js';
import type { CapturedWebhook, HistoryMessage } from '../src/apply.js';

export const silentLog = pino({ level: 'silent' });

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A database path in a new temp folder (its `data` subfolder not yet created), removed when the process exits. */
export function tempDatabasePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-state-'));
  tempDirs.push(dir);
  return join(dir, 'data', 'hookrelay.db');
}

/** A UUIDv7 for the given time, as ingest makes them. */
export function uuidV7(at: number): string {
  const hex = at.toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function makeWebhook(projectId: string, receivedAt = Date.now(), extra: Partial<WebhookMeta> = {}): WebhookMeta {
  return {
    id: uuidV7(receivedAt),
    projectId,
    method: 'POST',
    path: '/push',
    query: 'a=1',
    headers: [
      ['content-type', 'application/json'],
      ['x-github-delivery', 'abc'],
    ],
    contentType: 'application/json',
    bodySize: 0,
    sourceIp: '10.0.0.1',
    receivedAt,
    ...extra,
  };
}

export function makeEvent(
  webhook: WebhookMeta,
  kind: DeliveryEvent['kind'],
  attempt: number,
  extra: Partial<DeliveryEvent> = {},
): DeliveryEvent {
  const target = extra.target ?? 'ci';
  return {
    kind,
    webhookId: webhook.id,
    deliveryId: `${webhook.id}:${target}`,
    projectId: webhook.projectId,
    target,
    url: `http://${target}.example/hook`,
    attempt,
    at: webhook.receivedAt + attempt * 1000,
    ...(kind === 'forwarded' ? { statusCode: 200, durationMs: 12 } : {}),
    ...(kind === 'retrying' ? { statusCode: 503, durationMs: 30, error: 'HTTP 503', nextAttemptAt: webhook.receivedAt + (attempt + 1) * 1000 } : {}),
    ...(kind === 'attempt' ? { statusCode: 503, durationMs: 30, error: 'HTTP 503' } : {}),
    ...extra,
  };
}

export interface DlqCopy {
  webhook: WebhookMeta;
  body: Uint8Array;
  target: string;
  deliveryId: string;
  reason: string;
  deliveries: number;
  deliverySeq: number;
}

export async function connectJetStream(nc: NatsConnection): Promise<{ js: JetStreamClient; jsm: JetStreamManager }> {
  return { js: jetstream(nc), jsm: await jetstreamManager(nc) };
}

/** As ingest publishes: `msgID` defaults to the webhook id (JetStream drops a repeat inside its window). */
export function publishWebhook(js: JetStreamClient, meta: WebhookMeta, body: Uint8Array = new Uint8Array(), msgID = meta.id) {
  const h = natsHeaders();
  h.set(Headers.webhook, JSON.stringify(meta));
  return js.publish(Subjects.webhook(meta.projectId), body, { headers: h, msgID });
}

/** As the forwarder publishes: a JSON array of events of one project and kind (here, of one). */
export function publishEvent(js: JetStreamClient, event: DeliveryEvent) {
  return publishEvents(js, [event]);
}

export function publishEvents(js: JetStreamClient, events: DeliveryEvent[]) {
  const first = events[0] as DeliveryEvent;
  return js.publish(Subjects.event(first.projectId, first.kind), JSON.stringify(events));
}

export function publishDlq(js: JetStreamClient, copy: DlqCopy) {
  const h = natsHeaders();
  h.set(Headers.webhook, JSON.stringify(copy.webhook));
  h.set(Headers.target, copy.target);
  h.set(Headers.deliveryId, copy.deliveryId);
  h.set(Headers.dlqReason, copy.reason);
  h.set(Headers.dlqDeliveries, String(copy.deliveries));
  h.set(Headers.dlqDeliverySeq, String(copy.deliverySeq));
  return js.publish(Subjects.dlq(copy.webhook.projectId, copy.target, copy.deliveryId), copy.body, { headers: h });
}

/** Publishes with up to `inFlight` PubAcks outstanding (awaiting each in turn is ~5k/s). */
export async function publishAll(tasks: readonly (() => Promise<unknown>)[], inFlight = 256): Promise<void> {
  for (let i = 0; i < tasks.length; i += inFlight) await Promise.all(tasks.slice(i, i + inFlight).map((t) => t()));
}

export function stateConfig(natsUrl: string, databasePath: string, env: Record<string, string> = {}) {
  return StateEnv.parse({ NATS_URL: natsUrl, DATABASE_PATH: databasePath, STATE_PORT: '0', LOG_LEVEL: 'silent', ...env });
}

export function startTestState(
  natsUrl: string,
  databasePath: string,
  options: StateOptions = {},
  env: Record<string, string> = {},
): Promise<RunningState> {
  return startState(stateConfig(natsUrl, databasePath, env), silentLog, options);
}

/** Resolves when every history consumer has nothing pending and nothing unacked. */
export async function waitForConsumersIdle(jsm: JetStreamManager, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      for (const [stream, durable] of [
        ['WEBHOOKS', StateConsumers.webhooks],
        ['EVENTS', StateConsumers.events],
        ['DLQ', StateConsumers.dlq],
      ] as const) {
        const info = await jsm.consumers.info(stream, durable);
        if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
      }
      return true;
    },
    { timeoutMs, what: 'the history consumers to be idle' },
  );
}

export async function query<Q extends StateQueryName>(
  nc: NatsConnection,
  name: Q,
  request: StateQueryRequest<Q> | string,
): Promise<StateReply<Q>> {
  const payload = typeof request === 'string' ? request : JSON.stringify(request);
  const reply = await nc.request(StateQueries[name].subject, payload, { timeout: 10_000 });
  return decodeStateReply(name, reply.data);
}

export async function queryOk<Q extends StateQueryName>(nc: NatsConnection, name: Q, request: StateQueryRequest<Q>) {
  const reply = await query(nc, name, request);
  if (!reply.ok) throw new Error(`${name} failed: ${JSON.stringify(reply.error)}`);
  return reply.value;
}

/** Every row of every table, in key order, as JSON: two databases with the same history dump the same. */
export function dumpDatabase(path: string, ignoreColumns: readonly string[] = []): string {
  const db = new Database(path, { readonly: true });
  try {
    const tables: Record<string, unknown[]> = {
      // payload_ref is left out: it numbers payloads in arrival order, which differs from one run to another.
      webhooks: db
        .prepare(
          `SELECT id, project_id, received_at, status, method, path, query, content_type, body_size, source_ip,
                  dedupe_key, captured, p.request, hex(p.body) AS body
           FROM webhooks w LEFT JOIN webhook_payloads p ON p.ref = w.payload_ref ORDER BY id`,
        )
        .all(),
      payloads: db.prepare('SELECT count(*) AS count FROM webhook_payloads').all(),
      deliveries: db.prepare('SELECT * FROM deliveries ORDER BY webhook_id, id').all(),
      attempts: db.prepare('SELECT * FROM attempts ORDER BY webhook_id, delivery_id, n').all(),
      // Zero rows are left behind by statuses a webhook moved through; only the live counts are content.
      webhook_counts: db.prepare('SELECT * FROM webhook_counts WHERE count > 0 ORDER BY project_id, status').all(),
    };
    return JSON.stringify(tables, (key, value: unknown) => (ignoreColumns.includes(key) ? undefined : value));
  } catch (err) {
    throw new Error(`could not dump ${path}`, { cause: err });
  } finally {
    db.close();
  }
}

/** Fails with the first row that differs, rather than two megabytes of JSON. */
export function assertSameHistory(actualPath: string, expectedPath: string, ignoreColumns: readonly string[] = []): void {
  const actual = JSON.parse(dumpDatabase(actualPath, ignoreColumns)) as Record<string, unknown[]>;
  const expected = JSON.parse(dumpDatabase(expectedPath, ignoreColumns)) as Record<string, unknown[]>;
  for (const table of Object.keys(expected)) {
    const a = actual[table] ?? [];
    const e = expected[table] ?? [];
    for (let i = 0; i < Math.max(a.length, e.length); i++) {
      if (JSON.stringify(a[i]) !== JSON.stringify(e[i])) {
        throw new Error(`${table} differs at row ${i} (of ${a.length} vs ${e.length}):\n  actual:   ${JSON.stringify(a[i])}\n  expected: ${JSON.stringify(e[i])}`);
      }
    }
  }
}

export function countRows(path: string, table: 'webhooks' | 'deliveries' | 'attempts', where = '1 = 1'): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * A history for `count` webhooks over a few projects and targets, covering every path a delivery takes:
 * forwarded first time, retried then forwarded, retried into the DLQ (event and DLQ copy), failed, a
 * replay after the DLQ, and no event yet. Returned as messages, in publish order per stream.
 */
export function makeHistory(count: number, start = Date.now() - 3_600_000 - count) {
  const webhooks: { meta: WebhookMeta; body: Uint8Array }[] = [];
  const events: DeliveryEvent[] = [];
  const dlq: DlqCopy[] = [];
  const projects = ['alpha', 'beta', 'gamma', 'delta'];
  for (let i = 0; i < count; i++) {
    const body = new Uint8Array([0, 255, 10, 13, i & 0xff, (i >> 8) & 0xff]);
    const meta = makeWebhook(projects[i % projects.length] ?? 'alpha', start + i, {
      bodySize: body.length,
      ...(i % 3 === 0 ? { dedupeKey: `delivery-${i}` } : {}),
    });
    webhooks.push({ meta, body });
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
        events.push(makeEvent(meta, 'forwarded', 1));
        break;
      case 4:
        events.push(makeEvent(meta, 'retrying', 1), makeEvent(meta, 'forwarded', 2));
        break;
      case 5:
        events.push(makeEvent(meta, 'retrying', 1));
        break;
      case 6: {
        events.push(makeEvent(meta, 'retrying', 1), makeEvent(meta, 'retrying', 2), makeEvent(meta, 'attempt', 3));
        events.push(makeEvent(meta, 'dlq', 3));
        dlq.push({ webhook: meta, body, target: 'ci', deliveryId: `${meta.id}:ci`, reason: 'max_deliveries', deliveries: 3, deliverySeq: i + 1 });
        break;
      }
      case 7:
        // Two targets: one forwarded, one failed because its target was removed.
        events.push(makeEvent(meta, 'forwarded', 1), makeEvent(meta, 'failed', 0, { target: 'audit', error: 'target removed' }));
        break;
      case 8:
        // Parked after a permanent 4xx, then replayed with a new delivery id, which succeeded.
        events.push(makeEvent(meta, 'attempt', 1, { statusCode: 400, error: 'HTTP 400' }), makeEvent(meta, 'dlq', 1));
        events.push(makeEvent(meta, 'forwarded', 1, { deliveryId: `${meta.id}:ci:replay-1`, at: meta.receivedAt + 60_000 }));
        break;
      default:
        break; // received, nothing reported yet
    }
  }
  return { webhooks, events, dlq };
}

export type History = ReturnType<typeof makeHistory>;

/** A webhook as the decoder hands it over. */
export function captured(meta: WebhookMeta, body: Uint8Array = new Uint8Array()): CapturedWebhook {
  return { meta, metaJson: JSON.stringify(meta), body };
}

/** The same history as HistoryMessages, for applying without NATS. */
export function historyMessages(history: History): HistoryMessage[] {
  return [
    ...history.webhooks.map((w): HistoryMessage => ({ kind: 'webhook', webhook: captured(w.meta, w.body) })),
    ...history.events.map((event): HistoryMessage => ({ kind: 'event', event })),
    ...history.dlq.map(
      (d, i): HistoryMessage => ({
        kind: 'dlq',
        webhook: captured(d.webhook, d.body),
        deliveryId: d.deliveryId,
        target: d.target,
        reason: d.reason,
        deliveries: d.deliveries,
        streamSeq: i + 1,
        parkedAt: d.webhook.receivedAt + 5000,
      }),
    ),
  ];
}

/** Publish tasks in the order the relay would produce them: each webhook, then its events and DLQ copy. */
export function publishInRelayOrder(js: JetStreamClient, history: History): (() => Promise<unknown>)[] {
  const eventsOf = new Map<string, DeliveryEvent[]>();
  for (const e of history.events) eventsOf.set(e.webhookId, [...(eventsOf.get(e.webhookId) ?? []), e]);
  const dlqOf = new Map(history.dlq.map((d) => [d.webhook.id, d]));
  return history.webhooks.flatMap((w) => {
    const dlq = dlqOf.get(w.meta.id);
    return [
      () => publishWebhook(js, w.meta, w.body),
      ...(eventsOf.get(w.meta.id) ?? []).map((e) => () => publishEvent(js, e)),
      ...(dlq ? [() => publishDlq(js, dlq)] : []),
    ];
  });
}

export function publishHistoryTasks(js: JetStreamClient, history: History) {
  return {
    webhooks: history.webhooks.map((w) => () => publishWebhook(js, w.meta, w.body)),
    events: history.events.map((e) => () => publishEvent(js, e)),
    dlq: history.dlq.map((d) => () => publishDlq(js, d)),
  };
}
