import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { Consumers, ROUTES_BUCKET, RouteConfig, Streams } from '@hookrelay/schemas';
import { provisionJetStream } from '@hookrelay/platform';
import { TestNatsServer } from '@hookrelay/test-support';
import { OperatorConfig, startOperator, type RunningOperator } from '../../src/index.js';

/** One pino line, parsed. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

export interface RouteDocumentInput {
  name: string;
  projectId?: string;
  targets?: { name: string; url: string }[];
  delivery?: Record<string, unknown>;
}

/** A WebhookRoute document as a user writes it. */
export function routeDocument({ name, projectId, targets, delivery }: RouteDocumentInput): Record<string, unknown> {
  return {
    apiVersion: 'hookrelay.dev/v1alpha1',
    kind: 'WebhookRoute',
    metadata: { name },
    spec: {
      ...(projectId ? { projectId } : {}),
      targets: targets ?? [{ name: 'main', url: 'http://127.0.0.1:9000/hooks' }],
      ...(delivery ? { delivery } : {}),
    },
  };
}

export const routeYaml = (...documents: RouteDocumentInput[]): string => documents.map((d) => stringify(routeDocument(d))).join('---\n');

/**
 * A private nats-server, a temp ROUTES_DIR and the operator in local mode, started and restarted at will;
 * plus direct access to what the operator writes (KV `routes`, DELIVERIES consumers) and to its log lines.
 */
export class LocalOperatorHarness {
  readonly logs: LogLine[] = [];
  operator: RunningOperator | undefined;

  private constructor(
    readonly nats: TestNatsServer,
    readonly dir: string,
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
  ) {}

  static async create(): Promise<LocalOperatorHarness> {
    const nats = await TestNatsServer.start();
    const dir = await mkdtemp(join(tmpdir(), 'hookrelay-routes-'));
    const nc = await connect({ servers: nats.url });
    await provisionJetStream(nc, { replicas: 1, historyRetentionMs: 3_600_000 });
    const kv = await new Kvm(nc).open(ROUTES_BUCKET);
    return new LocalOperatorHarness(nats, dir, nc, kv, await jetstreamManager(nc));
  }

  async start(): Promise<RunningOperator> {
    const config = OperatorConfig.parse({
      NATS_URL: this.nats.url,
      ROUTES_DIR: this.dir,
      OPERATOR_PORT: '0',
      OPERATOR_MODE: 'local',
      HOOKRELAY_PUBLIC_URL: 'https://hooks.example.com',
    });
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) this.logs.push(JSON.parse(line) as LogLine);
        done();
      },
    });
    this.operator = await startOperator(config, pino({ level: 'info', base: { service: 'operator' } }, sink));
    return this.operator;
  }

  async stopOperator(): Promise<void> {
    await this.operator?.stop();
    this.operator = undefined;
  }

  writeRouteFile(file: string, text: string): Promise<void> {
    return writeFile(join(this.dir, file), text);
  }

  removeRouteFile(file: string): Promise<void> {
    return unlink(join(this.dir, file));
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

  statusOf(file: string, projectId?: string) {
    return this.operator?.statuses().find((s) => s.file === file && (projectId === undefined || s.projectId === projectId));
  }

  async close(): Promise<void> {
    await this.stopOperator();
    await this.nc.close();
    await this.nats.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
