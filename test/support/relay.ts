import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createLogger, type Logger, type RunningService } from '@hookrelay/platform';
import { ROUTES_BUCKET, Streams } from '@hookrelay/schemas';
import { TestNatsServer, eventually, freePort } from '@hookrelay/test-support';
import { IngestConfig, startIngest, type RunningIngest } from '@hookrelay/ingest';
import { ForwarderConfig, startForwarder } from '@hookrelay/forwarder';
import { OperatorConfig, startOperator, type RunningOperator } from '@hookrelay/operator';

const repoRoot = resolve(import.meta.dirname, '..', '..');

export type ServiceName = 'operator' | 'ingest' | 'forwarder';
/** Services that run as child processes only (in-process, see services/gateway/test/support). */
export type ProcessServiceName = ServiceName | 'state' | 'gateway';

/** A route file's YAML for tests: one WebhookRoute with the given targets and spec fields. */
export function routeYaml(projectId: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'hookrelay.dev/v1alpha1',
    kind: 'WebhookRoute',
    metadata: { name: projectId },
    spec: { projectId, ...spec },
  });
}

/**
 * The relay as a test sees it: a private nats-server, a temp routes folder, and the services, in this process
 * (fast, inspectable) or as child processes (killable with SIGKILL).
 */
export class TestRelay {
  /** Every log line of the in-process services, when started with `captureLogs`. */
  readonly logLines: string[] = [];
  readonly log: Logger;
  private running = new Map<ServiceName, RunningService>();
  private children = new Map<ProcessServiceName, ChildProcess>();
  ingest: RunningIngest | undefined;
  ingestPort = 0;
  nc!: NatsConnection;
  jsm!: JetStreamManager;

  private constructor(
    readonly nats: TestNatsServer,
    readonly routesDir: string,
    captureLogs: boolean,
  ) {
    this.log = captureLogs
      ? createLogger('test', 'debug', { write: (line: string) => void this.logLines.push(line) })
      : createLogger('test', process.env.LOG_LEVEL ?? 'silent');
  }

  static async start(
    options: { services?: ServiceName[]; routes?: Record<string, string>; captureLogs?: boolean } = {},
  ): Promise<TestRelay> {
    const nats = await TestNatsServer.start();
    const routesDir = await mkdtemp(join(tmpdir(), 'hookrelay-routes-'));
    const relay = new TestRelay(nats, routesDir, options.captureLogs ?? false);
    for (const [file, yaml] of Object.entries(options.routes ?? {})) await relay.writeRoute(file, yaml);
    relay.nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    for (const name of options.services ?? ['operator', 'ingest', 'forwarder']) await relay.startService(name);
    relay.jsm = await jetstreamManager(relay.nc);
    return relay;
  }

  get env(): Record<string, string> {
    return {
      NATS_URL: this.nats.url,
      ROUTES_DIR: this.routesDir,
      OPERATOR_MODE: 'local',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      INGEST_PORT: String(this.ingestPort),
      FORWARDER_PORT: '0',
      OPERATOR_PORT: '0',
      STATE_PORT: '0',
      GATEWAY_PORT: '0',
      DATABASE_PATH: join(this.routesDir, 'data', 'hookrelay.db'),
      HOOKRELAY_API_TOKEN: 'test-admin-token-0123456789',
    };
  }

  get operator(): RunningOperator | undefined {
    return this.running.get('operator') as RunningOperator | undefined;
  }

  async startService(name: ServiceName): Promise<void> {
    const env = this.env;
    if (name === 'operator') this.running.set(name, await startOperator(OperatorConfig.parse(env), this.log));
    if (name === 'forwarder') this.running.set(name, await startForwarder(ForwarderConfig.parse(env), this.log));
    if (name === 'ingest') {
      this.ingest = await startIngest(IngestConfig.parse(env), this.log);
      this.ingestPort = this.ingest.port;
      this.running.set(name, this.ingest);
    }
  }

  async stopService(name: ServiceName): Promise<void> {
    await this.running.get(name)?.stop();
    this.running.delete(name);
    if (name === 'ingest') this.ingest = undefined;
  }

  /** Runs a service as `node services/<name>/dist/main.js`, as a container would. */
  async spawnService(name: ProcessServiceName): Promise<void> {
    if (name === 'ingest' && this.ingestPort === 0) this.ingestPort = await freePort();
    // SERVICE_NODE_ARGS (e.g. "--cpu-prof") is for profiling a service under a benchmark.
    const nodeArgs = process.env.SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, join(repoRoot, 'services', name, 'dist', 'main.js')], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.children.set(name, child);
    if (name === 'ingest') {
      await eventually(async () => (await fetch(this.url('/readyz')).catch(() => undefined))?.ok, { what: 'ingest ready' });
    }
  }

  /** SIGKILL: the service dies at once, whatever it was doing. */
  async killService(name: ProcessServiceName): Promise<void> {
    const child = this.children.get(name);
    this.children.delete(name);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.ingestPort}${path}`;
  }

  post(projectId: string, init: RequestInit & { path?: string } = {}): Promise<Response> {
    return fetch(this.url(`/hooks/${projectId}${init.path ?? ''}`), { method: 'POST', ...init });
  }

  async writeRoute(file: string, yaml: string): Promise<void> {
    await writeFile(join(this.routesDir, file), yaml);
  }

  async removeRoute(file: string): Promise<void> {
    await unlink(join(this.routesDir, file));
  }

  /** Waits until the route is in KV, its consumer exists and (in-process) ingest accepts for it. */
  async routeReady(projectId: string): Promise<void> {
    const kv = await new Kvm(this.nc).open(ROUTES_BUCKET);
    await eventually(async () => (await kv.get(projectId))?.operation === 'PUT', { what: `route ${projectId} in KV` });
    await eventually(() => this.jsm.consumers.info(Streams.deliveries, `route-${projectId}`).then(() => true), {
      what: `consumer of ${projectId}`,
    });
    if (this.ingest) await eventually(() => this.ingest?.hasRoute(projectId), { what: `ingest knows ${projectId}` });
  }

  /** Every DLQ entry, oldest first. */
  async deadLetters(): Promise<StoredMsg[]> {
    const info = await this.jsm.streams.info(Streams.dlq);
    const out: StoredMsg[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await this.jsm.streams.getMessage(Streams.dlq, { seq }).catch(() => null);
      if (m) out.push(m);
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const name of [...this.children.keys()]) await this.killService(name);
    for (const name of ['ingest', 'forwarder', 'operator'] as const) await this.stopService(name).catch(() => undefined);
    await this.nc.close().catch(() => undefined);
    await this.nats.stop();
    await rm(this.routesDir, { recursive: true, force: true });
  }
}
