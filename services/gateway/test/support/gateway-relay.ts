// The whole relay for the gateway's end-to-end tests: TestRelay (nats, operator, ingest, forwarder) plus the
// state service and the gateway, in this process. A test asks the API as a person would, over real HTTP.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { StateEnv, startState, type RunningState } from '@hookrelay/state';
import { eventually } from '@hookrelay/test-support';
import { TestRelay, routeYaml } from '../../../../test/support/relay.js';
import { GatewayConfig, startGateway, type RunningGateway } from '../../src/index.js';
import { SseClient } from './sse-client.js';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

/** The read token the tests give a project (through GATEWAY_PROJECT_TOKENS). */
export const projectToken = (projectId: string): string => `read-token-${projectId}-0123456789`;

const silent = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

export interface RequestOptions {
  /** Bearer token; null sends none. Default: the admin token. */
  token?: string | null;
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export function gatewayConfig(natsUrl: string, env: Record<string, string> = {}): GatewayConfig {
  return GatewayConfig.parse({
    NATS_URL: natsUrl,
    GATEWAY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    HOOKRELAY_API_TOKEN: ADMIN_TOKEN,
    ...env,
  });
}

/** Calls a gateway at `baseUrl` as the API's users do. */
export function apiRequest(baseUrl: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  return fetch(`${baseUrl}${path}`, { method: options.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
}

export class GatewayRelay {
  state!: RunningState;
  gateway!: RunningGateway;

  private constructor(
    readonly relay: TestRelay,
    private readonly dataDir: string,
    private readonly gatewayEnv: Record<string, string>,
    private readonly gatewayLog: Logger,
  ) {}

  /** `projectTokens`: projects given a read token (see projectToken()); `gatewayLog`: to read what it logs. */
  static async start(
    options: { projectTokens?: string[]; gatewayEnv?: Record<string, string>; gatewayLog?: Logger } = {},
  ): Promise<GatewayRelay> {
    const relay = await TestRelay.start();
    const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-gateway-e2e-'));
    const tokens = Object.fromEntries((options.projectTokens ?? []).map((p) => [p, projectToken(p)]));
    const env = { GATEWAY_PROJECT_TOKENS: JSON.stringify(tokens), ...options.gatewayEnv };
    const relayed = new GatewayRelay(relay, dataDir, env, options.gatewayLog ?? silent);
    await relayed.startState();
    await relayed.startGateway();
    return relayed;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.gateway.port}`;
  }

  async startState(): Promise<void> {
    const config = StateEnv.parse({ ...this.relay.env, DATABASE_PATH: join(this.dataDir, 'hookrelay.db'), STATE_PORT: '0' });
    this.state = await startState(config, silent, { retentionIntervalMs: 3_600_000 });
  }

  async startGateway(): Promise<void> {
    this.gateway = await startGateway(gatewayConfig(this.relay.nats.url, this.gatewayEnv), this.gatewayLog);
  }

  api(path: string, options: RequestOptions = {}): Promise<Response> {
    return apiRequest(this.baseUrl, path, options);
  }

  /** GET (or the given method) that must answer `status`; returns the JSON body. */
  async json<T = unknown>(path: string, options: RequestOptions & { status?: number } = {}): Promise<T> {
    const res = await this.api(path, options);
    const text = await res.text();
    const expected = options.status ?? (options.method === 'POST' ? 202 : 200);
    if (res.status !== expected) throw new Error(`${options.method ?? 'GET'} ${path}: expected ${expected}, got ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** A feed that is live: every feed entry from now on reaches it. */
  feed(path: string, init: { token?: string; lastEventId?: string } = {}): Promise<SseClient> {
    return SseClient.live(`${this.baseUrl}${path}`, { token: ADMIN_TOKEN, ...init });
  }

  /** Writes a route file and waits until ingest, the forwarder's consumer and the gateway all have it. */
  async route(projectId: string, targets: { name: string; url: string }[], spec: Record<string, unknown> = {}): Promise<void> {
    await this.relay.writeRoute(`${projectId}.yaml`, routeYaml(projectId, { targets, ...spec }));
    await this.relay.routeReady(projectId);
    await eventually(
      async () => {
        const { projects } = await this.json<{ projects: { projectId: string; targets: { name: string }[] }[] }>('/projects');
        const seen = projects.find((p) => p.projectId === projectId);
        return seen !== undefined && seen.targets.length === targets.length;
      },
      { what: `the gateway to know route ${projectId}` },
    );
  }

  /** Sends a webhook through ingest; returns its id. */
  async send(projectId: string, body: string | Buffer = '{"hello":"world"}', headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<string> {
    const res = await this.relay.post(projectId, { body, headers });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }

  async stop(): Promise<void> {
    await this.gateway?.stop().catch(() => undefined);
    await this.state?.stop().catch(() => undefined);
    await this.relay.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
