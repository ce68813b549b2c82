import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Consumers, ROUTES_BUCKET, RouteConfig, Streams } from '@hookrelay/schemas';
import { provisionJetStream } from '@hookrelay/platform';
import { TestNatsServer } from '@hookrelay/test-support';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/** One pino line, parsed. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A logger whose lines land in `lines`, for tests that check what a person reading the logs would see. */
export function capturingLogger(lines: LogLine[], bindings: Record<string, string> = {}): Logger {
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return pino({ level: 'info', base: { service: 'operator', ...bindings } }, sink);
}

/** A private nats-server, and what the operator writes into it: KV `routes` and the DELIVERIES consumers. */
export class NatsRoutes {
  private constructor(
    readonly server: TestNatsServer,
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
  ) {}

  static async start(): Promise<NatsRoutes> {
    const server = await TestNatsServer.start();
    const nc = await connect({ servers: server.url });
    await provisionJetStream(nc, { replicas: 1, historyRetentionMs: 3_600_000 });
    return new NatsRoutes(server, nc, await new Kvm(nc).open(ROUTES_BUCKET), await jetstreamManager(nc));
  }

  get url(): string {
    return this.server.url;
  }

  /** The route as ingest and the forwarder read it, or undefined. */
  async route(projectId: string): Promise<RouteConfig | undefined> {
    const entry = await this.kv.get(projectId);
    return entry?.operation === 'PUT' ? RouteConfig.parse(entry.json()) : undefined;
  }

  /** Writes a KV entry as another operator would. */
  async putRoute(route: RouteConfig): Promise<void> {
    await this.kv.put(route.projectId, JSON.stringify(route));
  }

  async consumer(projectId: string): Promise<ConsumerInfo | undefined> {
    try {
      return await this.jsm.consumers.info(Streams.deliveries, Consumers.route(projectId));
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    await this.nc.close();
    await this.server.stop();
  }
}
