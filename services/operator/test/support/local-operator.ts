import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { RouteConfig } from '@hookrelay/schemas';
import { OperatorConfig, startOperator, type RunningOperator } from '../../src/index.js';
import { NatsRoutes, capturingLogger, type LogLine } from './nats-routes.js';

export type { LogLine };

export interface RouteDocumentInput {
  name: string;
  namespace?: string;
  projectId?: string;
  targets?: { name: string; url: string }[];
  delivery?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

/** A WebhookRoute document as a user writes it. */
export function routeDocument({ name, namespace, projectId, targets, delivery, extra }: RouteDocumentInput): Record<string, unknown> {
  return {
    apiVersion: 'hookrelay.dev/v1alpha1',
    kind: 'WebhookRoute',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec: {
      ...(projectId ? { projectId } : {}),
      targets: targets ?? [{ name: 'main', url: 'http://127.0.0.1:9000/hooks' }],
      ...(delivery ? { delivery } : {}),
      ...extra,
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
    readonly nats: NatsRoutes,
    readonly dir: string,
  ) {}

  static async create(): Promise<LocalOperatorHarness> {
    return new LocalOperatorHarness(await NatsRoutes.start(), await mkdtemp(join(tmpdir(), 'hookrelay-routes-')));
  }

  async start(env: Record<string, string> = {}): Promise<RunningOperator> {
    const config = OperatorConfig.parse({
      NATS_URL: this.nats.url,
      ROUTES_DIR: this.dir,
      OPERATOR_PORT: '0',
      OPERATOR_MODE: 'local',
      HOOKRELAY_PUBLIC_URL: 'https://hooks.example.com',
      ...env,
    });
    this.operator = await startOperator(config, capturingLogger(this.logs));
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

  route(projectId: string): Promise<RouteConfig | undefined> {
    return this.nats.route(projectId);
  }

  putRoute(route: RouteConfig): Promise<void> {
    return this.nats.putRoute(route);
  }

  consumer(projectId: string) {
    return this.nats.consumer(projectId);
  }

  statusOf(file: string, projectId?: string) {
    return this.operator?.statuses().find((s) => 'file' in s && s.file === file && (projectId === undefined || s.projectId === projectId));
  }

  async close(): Promise<void> {
    await this.stopOperator();
    await this.nats.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
