import { AckPolicy, DeliverPolicy, JetStreamApiError, JetStreamApiCodes, type ConsumerConfig, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { Consumers, RouteConfig, Streams, Subjects } from '@hookrelay/schemas';
import type { Logger } from '@hookrelay/platform';

const NANOS_PER_MS = 1_000_000;
/** The forwarder's attempt timeout plus this margin is the ack deadline of a delivery. */
const ACK_WAIT_MARGIN_MS = 5_000;
const MAX_ACK_PENDING = 1_000;

/** Another writer changed the KV entry between our read and our write; the reconcile is retried. */
export class RouteChangedConcurrentlyError extends Error {
  override readonly name = 'RouteChangedConcurrentlyError';
  constructor(readonly projectId: string, options?: ErrorOptions) {
    super(`the route of project ${projectId} changed while it was being written`, options);
  }
}

/** A KV entry as read: who owns the project, and the route when the entry is one this operator can read. */
export interface StoredRoute {
  owner: string;
  route: RouteConfig | undefined;
  revision: number;
}

/** The owner shown for an entry that does not parse (written by another version?): never overwritten. */
const UNREADABLE_OWNER = 'an unreadable KV entry';

/** The delivery consumer of a route: max_deliver and ack_wait from its policy, no `backoff` (the forwarder naks with a delay). */
export function routeConsumerConfig(route: RouteConfig): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: Consumers.route(route.projectId),
    // A string: filter_subjects needs nats-server 2.10.
    filter_subject: Subjects.deliveriesOf(route.projectId),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_deliver: route.delivery.attempts,
    ack_wait: (route.delivery.timeoutMs + ACK_WAIT_MARGIN_MS) * NANOS_PER_MS,
    max_ack_pending: MAX_ACK_PENDING,
  };
}

function consumerNeedsUpdate(current: ConsumerConfig, wanted: ReturnType<typeof routeConsumerConfig>): boolean {
  return (
    current.max_deliver !== wanted.max_deliver ||
    current.ack_wait !== wanted.ack_wait ||
    current.max_ack_pending !== wanted.max_ack_pending ||
    (current.backoff?.length ?? 0) > 0
  );
}

const isCode = (err: unknown, code: number): boolean => err instanceof JetStreamApiError && err.code === code;
const isWrongRevision = (err: unknown): boolean =>
  isCode(err, JetStreamApiCodes.StreamWrongLastSequence) || isCode(err, JetStreamApiCodes.StreamWrongLastSequenceUnknown);

/**
 * The operator's outputs: the KV bucket `routes` and one consumer per route on DELIVERIES. Also remembers
 * which source owns which project, so a source's stale projects can be found without listing the bucket.
 */
export class RouteStore {
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly log: Logger,
  ) {}

  /** Reads the whole bucket: who owns what, as the last writer left it. Call at start (and on becoming leader). */
  async load(): Promise<void> {
    this.owners.clear();
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) keys.push(key);
    for (const key of keys) await this.get(key);
  }

  /** Sources that own at least one project, as far as this store has seen. */
  sources(): string[] {
    return [...new Set(this.owners.values())];
  }

  projectIdsOf(source: string): string[] {
    return [...this.owners].filter(([, owner]) => owner === source).map(([projectId]) => projectId);
  }

  async get(projectId: string): Promise<StoredRoute | undefined> {
    const entry = await this.kv.get(projectId);
    if (!entry || entry.operation !== 'PUT') {
      this.owners.delete(projectId);
      return undefined;
    }
    const parsed = RouteConfig.safeParse(entry.json());
    if (!parsed.success) {
      this.log.error({ projectId, issues: parsed.error.issues }, 'unreadable route in KV; leaving it alone');
      this.owners.delete(projectId);
      return { owner: UNREADABLE_OWNER, route: undefined, revision: entry.revision };
    }
    this.owners.set(projectId, parsed.data.source);
    return { owner: parsed.data.source, route: parsed.data, revision: entry.revision };
  }

  /** Writes the entry when it differs; `previous` is what get() returned, so a concurrent writer is detected. */
  async put(route: RouteConfig, previous: StoredRoute | undefined): Promise<boolean> {
    if (previous?.route && JSON.stringify(previous.route) === JSON.stringify(route)) return false;
    const data = JSON.stringify(route);
    try {
      if (previous) await this.kv.update(route.projectId, data, previous.revision);
      else await this.kv.create(route.projectId, data);
    } catch (err) {
      if (isWrongRevision(err)) throw new RouteChangedConcurrentlyError(route.projectId, { cause: err });
      throw err;
    }
    this.owners.set(route.projectId, route.source);
    return true;
  }

  /** Creates the route's consumer, or updates it when its policy changed. Returns whether anything changed. */
  async ensureConsumer(route: RouteConfig): Promise<boolean> {
    const wanted = routeConsumerConfig(route);
    try {
      const info = await this.jsm.consumers.info(Streams.deliveries, wanted.durable_name);
      if (!consumerNeedsUpdate(info.config, wanted)) return false;
      const { durable_name, filter_subject, ack_policy, deliver_policy, ...changeable } = wanted;
      await this.jsm.consumers.update(Streams.deliveries, durable_name, { ...changeable, backoff: undefined });
      return true;
    } catch (err) {
      if (!isCode(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
    await this.jsm.consumers.add(Streams.deliveries, wanted);
    return true;
  }

  /**
   * Removes the route of `projectId` if `source` still owns it: the KV entry first (ingest stops accepting),
   * then the consumer. Messages left in DELIVERIES and the history stay.
   */
  async remove(projectId: string, source: string): Promise<boolean> {
    const stored = await this.get(projectId);
    if (stored && stored.owner !== source) return false;
    if (stored) {
      try {
        await this.kv.delete(projectId, { previousSeq: stored.revision });
      } catch (err) {
        if (isWrongRevision(err)) throw new RouteChangedConcurrentlyError(projectId, { cause: err });
        throw err;
      }
    }
    this.owners.delete(projectId);
    try {
      await this.jsm.consumers.delete(Streams.deliveries, Consumers.route(projectId));
    } catch (err) {
      if (!isCode(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
    return stored !== undefined;
  }
}
