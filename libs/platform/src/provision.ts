import {
  jetstreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  DiscardPolicy,
  type JetStreamManager,
  AckPolicy,
  DeliverPolicy,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { Consumers, Streams, Subjects, ROUTES_BUCKET, DEDUPE_BUCKET, ROUTE_STATUS_BUCKET } from '@hookrelay/schemas';

const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;
const STREAM_NAME_IN_USE = 10058;
const SECOND_NS = 1_000_000_000;
const ms = (v: number) => v * 1_000_000;
const days = (n: number) => n * 86_400 * SECOND_NS;

export interface ProvisionOptions {
  replicas: number;
  historyRetentionMs: number;
}

/** The streams of DESIGN.md. Idempotent: created when missing, updated to this config when present. */
type NamedStreamConfig = Partial<StreamConfig> & { name: string };

function streamConfigs({ replicas, historyRetentionMs }: ProvisionOptions): NamedStreamConfig[] {
  const common = { num_replicas: replicas, storage: StorageType.File, discard: DiscardPolicy.Old };
  return [
    {
      ...common,
      name: Streams.webhooks,
      subjects: ['webhooks.>'],
      retention: RetentionPolicy.Limits,
      max_age: ms(historyRetentionMs),
      duplicate_window: 120 * SECOND_NS,
    },
    {
      ...common,
      name: Streams.deliveries,
      subjects: ['deliveries.>'],
      retention: RetentionPolicy.Workqueue,
      duplicate_window: 120 * SECOND_NS,
    },
    { ...common, name: Streams.events, subjects: ['events.>'], retention: RetentionPolicy.Limits, max_age: days(3) },
    {
      ...common,
      name: Streams.dlq,
      subjects: ['dlq.>'],
      retention: RetentionPolicy.Limits,
      max_age: Math.max(days(30), ms(historyRetentionMs)),
    },
    { ...common, name: Streams.feed, subjects: ['feed.>'], retention: RetentionPolicy.Limits, max_age: days(1) },
    { ...common, name: Streams.rejected, subjects: ['rejected.>'], retention: RetentionPolicy.Limits, max_age: days(7) },
    {
      ...common,
      name: Streams.advisories,
      subjects: [Subjects.maxDeliveriesAdvisories, Subjects.terminatedAdvisories],
      retention: RetentionPolicy.Limits,
      max_age: days(7),
    },
  ];
}

async function ensureStream(jsm: JetStreamManager, config: NamedStreamConfig): Promise<void> {
  const name = config.name;
  try {
    await jsm.streams.info(name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND) {
      try {
        await jsm.streams.add(config);
        return;
      } catch (addErr) {
        // Another service provisioned it between our info and add.
        if (!(addErr instanceof JetStreamApiError && addErr.code === STREAM_NAME_IN_USE)) throw addErr;
      }
    } else throw err;
  }
  await jsm.streams.update(name, config);
}

/** Creates or updates every stream and KV bucket the relay uses. Each service calls it at start. */
export async function provisionJetStream(nc: NatsConnection, options: ProvisionOptions): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  for (const config of streamConfigs(options)) await ensureStream(jsm, config);
  // Created here rather than by the forwarder, so webhooks accepted before the forwarder first starts are
  // dispatched, and no DELIVERIES advisory is lost.
  for (const [stream, durable_name] of [
    [Streams.webhooks, Consumers.dispatch],
    [Streams.advisories, Consumers.advisories],
  ] as const) {
    // Short, so a crashed forwarder's work is redelivered soon; long attempts call working().
    const settings = { ack_wait: 10 * SECOND_NS, max_ack_pending: 20_000 };
    const exists = await jsm.consumers.info(stream, durable_name).then(
      () => true,
      (err: unknown) => {
        if (err instanceof JetStreamApiError && err.code === CONSUMER_NOT_FOUND) return false;
        throw err;
      },
    );
    if (exists) await jsm.consumers.update(stream, durable_name, settings);
    else {
      await jsm.consumers.add(stream, { durable_name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ...settings });
    }
  }
  const kvm = new Kvm(nc);
  await kvm.create(ROUTES_BUCKET, { history: 1, replicas: options.replicas });
  await kvm.create(ROUTE_STATUS_BUCKET, { history: 1, replicas: options.replicas });
  // Provider redeliveries (a route's dedupeHeader) are recognised for a day; JetStream's own window is short.
  await kvm.create(DEDUPE_BUCKET, { history: 1, replicas: options.replicas, ttl: 86_400_000 });
  return jsm;
}
