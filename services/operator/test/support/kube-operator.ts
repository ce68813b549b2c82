import type { RouteConfig } from '@hookrelay/schemas';
import { OperatorConfig, startOperator, type RunningOperator } from '../../src/index.js';
import { KubeApiTestServer } from './kube-api-server.js';
import { routeDocument, type RouteDocumentInput } from './local-operator.js';
import { NatsRoutes, capturingLogger, type LogLine } from './nats-routes.js';

export const LEASE_NAMESPACE = 'hookrelay';

/** A private nats-server, a test API server, and operator replicas in Kubernetes mode. */
export class KubeOperatorHarness {
  readonly logs: LogLine[] = [];
  readonly replicas = new Map<string, RunningOperator>();

  private constructor(
    readonly nats: NatsRoutes,
    readonly api: KubeApiTestServer,
  ) {}

  static async create(): Promise<KubeOperatorHarness> {
    return new KubeOperatorHarness(await NatsRoutes.start(), await KubeApiTestServer.start());
  }

  /** Starts a replica named `identity` (its pod name). */
  async start(identity = 'operator-0'): Promise<RunningOperator> {
    const config = OperatorConfig.parse({
      NATS_URL: this.nats.url,
      OPERATOR_PORT: '0',
      OPERATOR_MODE: 'kubernetes',
      HOOKRELAY_PUBLIC_URL: 'https://hooks.example.com',
      POD_NAME: identity,
      POD_NAMESPACE: LEASE_NAMESPACE,
      OPERATOR_LEASE_DURATION: '1s',
    });
    const operator = await startOperator(config, capturingLogger(this.logs, { replica: identity }), { kubeConfig: this.api.kubeConfig() });
    this.replicas.set(identity, operator);
    return operator;
  }

  async stop(identity = 'operator-0'): Promise<void> {
    await this.replicas.get(identity)?.stop();
    this.replicas.delete(identity);
  }

  apply(input: RouteDocumentInput & { namespace: string }) {
    return this.api.applyRoute(routeDocument(input));
  }

  /** The Ready condition of an object, as `kubectl get whr` shows it. */
  ready(namespace: string, name: string): { status: string; reason: string; message: string; observedGeneration?: number } | undefined {
    const status = this.api.getRoute(namespace, name)?.status as { conditions?: { type: string; status: string; reason: string; message: string; observedGeneration?: number }[] } | undefined;
    return status?.conditions?.find((c) => c.type === 'Ready');
  }

  route(projectId: string): Promise<RouteConfig | undefined> {
    return this.nats.route(projectId);
  }

  consumer(projectId: string) {
    return this.nats.consumer(projectId);
  }

  async close(): Promise<void> {
    for (const identity of [...this.replicas.keys()]) await this.stop(identity);
    await this.api.stop();
    await this.nats.stop();
  }
}
