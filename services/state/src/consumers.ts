import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { Streams } from '@hookrelay/schemas';
import type { Logger } from 'pino';
import type { BatchApplier } from './batch.js';
import { decodeDlqMessage, decodeEventMessage, decodeWebhookMessage, type Decoded } from './decode.js';
import type { StreamLabel } from './metrics.js';

/** The durable consumers state reads through; each starts at the beginning of its stream. */
export const StateConsumers = {
  webhooks: 'state-webhooks',
  events: 'state-events',
  dlq: 'state-dlq',
} as const;

export interface HistorySource {
  label: StreamLabel;
  stream: string;
  durable: string;
  decode: (msg: JsMsg) => Decoded;
}

export const historySources: readonly HistorySource[] = [
  { label: 'webhooks', stream: Streams.webhooks, durable: StateConsumers.webhooks, decode: decodeWebhookMessage },
  { label: 'events', stream: Streams.events, durable: StateConsumers.events, decode: decodeEventMessage },
  { label: 'dlq', stream: Streams.dlq, durable: StateConsumers.dlq, decode: decodeDlqMessage },
];

// Long enough for a full client buffer to be applied (a batch takes milliseconds); short enough that the
// messages a killed process held come back soon after a restart.
const ACK_WAIT_MS = 10_000;
// Lets several large batches be in flight to this process at once.
const MAX_ACK_PENDING = 20_000;
/** Messages each consume() keeps buffered; it asks for more at 75%. */
const PULL_BATCH = 1_000;

async function consumerExists(jsm: JetStreamManager, source: HistorySource): Promise<boolean> {
  try {
    await jsm.consumers.info(source.stream, source.durable);
    return true;
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return false;
    throw err;
  }
}

/**
 * Creates the consumer when missing. With `rebuild`, deletes it first so it starts again from the
 * beginning of the stream: that is how a new, empty database is filled from what the streams still hold.
 */
export async function ensureConsumer(jsm: JetStreamManager, source: HistorySource, rebuild = false): Promise<void> {
  if (rebuild && (await consumerExists(jsm, source))) await jsm.consumers.delete(source.stream, source.durable);
  const config = {
    ack_wait: nanos(ACK_WAIT_MS),
    max_ack_pending: MAX_ACK_PENDING,
    description: 'hookrelay state: history',
  };
  if (await consumerExists(jsm, source)) {
    await jsm.consumers.update(source.stream, source.durable, config);
    return;
  }
  await jsm.consumers.add(source.stream, {
    ...config,
    durable_name: source.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
  });
}

/** A running consume() of one source, feeding the batch applier until it is closed. */
export interface RunningConsumer {
  close(): Promise<void>;
}

export async function startConsuming(
  js: JetStreamClient,
  jsm: JetStreamManager,
  source: HistorySource,
  applier: BatchApplier,
  log: Logger,
): Promise<RunningConsumer> {
  const consumer = await js.consumers.get(source.stream, source.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: PULL_BATCH });
  const logOf = log.child({ stream: source.stream, consumer: source.durable });

  const watchStatus = (async () => {
    for await (const status of messages.status()) {
      if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') {
        // Someone removed it (or the server lost it): put it back; consume() picks it up again.
        logOf.warn({ status: status.type }, 'history consumer is gone; recreating it');
        await ensureConsumer(jsm, source).catch((err: unknown) => logOf.error({ err }, 'could not recreate the consumer'));
      } else if (status.type === 'heartbeats_missed') {
        logOf.warn({ count: status.count }, 'missed heartbeats from the consumer');
      }
    }
  })();

  const loop = (async () => {
    for await (const msg of messages) applier.add(source.label, msg, source.decode(msg));
  })();

  return {
    async close() {
      await messages.close();
      await loop.catch((err: unknown) => logOf.error({ err }, 'consume loop ended with an error'));
      await watchStatus.catch(() => undefined);
    },
  };
}

/** Messages not yet applied, per stream: pending delivery plus delivered and not acked. */
export async function readConsumerLag(jsm: JetStreamManager, log: Logger): Promise<Partial<Record<StreamLabel, number>>> {
  const lag: Partial<Record<StreamLabel, number>> = {};
  for (const source of historySources) {
    try {
      const info = await jsm.consumers.info(source.stream, source.durable);
      lag[source.label] = info.num_pending + info.num_ack_pending;
    } catch (err) {
      log.debug({ err, stream: source.stream }, 'could not read consumer lag');
    }
  }
  return lag;
}
