import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1Lease,
} from '@kubernetes/client-node';
import { z } from 'zod';
import { API_GROUP, API_VERSION } from '@hookrelay/schemas';
import { WebhookRouteStatus } from './route-status.js';

export const ROUTE_PLURAL = 'webhookroutes';

/** A WebhookRoute as the API server returns it; the spec is validated by the reconciler, not here. */
export const KubeWebhookRoute = z.looseObject({
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string(),
    uid: z.string().optional(),
    generation: z.int().optional(),
    resourceVersion: z.string().optional(),
  }),
  spec: z.unknown(),
  // A status this operator cannot read is simply rewritten.
  status: WebhookRouteStatus.optional().catch(undefined),
});
export type KubeWebhookRoute = z.infer<typeof KubeWebhookRoute>;

const RouteList = z.looseObject({
  metadata: z.looseObject({ resourceVersion: z.string().optional(), continue: z.string().optional() }),
  items: z.array(z.unknown()),
});

/** A watch event, as the API server streams it, one JSON object a line. */
export type WatchEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeWebhookRoute }
  | { type: 'BOOKMARK'; resourceVersion: string }
  | { type: 'ERROR'; code: number; message: string };

/** The API answered with this HTTP status (410: the resourceVersion is too old; 409: a conflict). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(readonly status: number, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export function statusOf(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.status;
  if (err instanceof ApiException) return err.code;
  if (typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number') return err.statusCode;
  return undefined;
}

/** The in-cluster config, or the kubeconfig KUBECONFIG names (for running the operator from a laptop). */
export function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

export interface RouteListPage {
  routes: KubeWebhookRoute[];
  /** Items that are not WebhookRoutes as far as this operator can tell (no name or namespace). */
  unreadable: number;
  resourceVersion: string;
  continueToken: string | undefined;
}

/**
 * The calls the operator makes, and nothing else: list/watch WebhookRoutes, patch their status, read
 * Secrets, record Events, and hold a Lease. RBAC in the chart grants exactly these.
 */
export class KubeApi {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly watcher: Watch;

  constructor(readonly kubeConfig: KubeConfig, private readonly namespace: string | undefined) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.coordination = kubeConfig.makeApiClient(CoordinationV1Api);
    this.watcher = new Watch(kubeConfig);
  }

  private routesPath(): string {
    const ns = this.namespace ? `/namespaces/${encodeURIComponent(this.namespace)}` : '';
    return `/apis/${API_GROUP}/${API_VERSION}${ns}/${ROUTE_PLURAL}`;
  }

  async listRoutes(continueToken: string | undefined, limit = 500): Promise<RouteListPage> {
    const common = { group: API_GROUP, version: API_VERSION, plural: ROUTE_PLURAL, limit, ...(continueToken ? { _continue: continueToken } : {}) };
    const body: unknown = this.namespace
      ? await this.custom.listNamespacedCustomObject({ ...common, namespace: this.namespace })
      : await this.custom.listClusterCustomObject(common);
    const list = RouteList.parse(body);
    const routes: KubeWebhookRoute[] = [];
    let unreadable = 0;
    for (const item of list.items) {
      const parsed = KubeWebhookRoute.safeParse(item);
      if (parsed.success) routes.push(parsed.data);
      else unreadable++;
    }
    return { routes, unreadable, resourceVersion: list.metadata.resourceVersion ?? '', continueToken: list.metadata.continue || undefined };
  }

  /**
   * Streams changes after `resourceVersion`, with bookmarks, until the server ends the watch (after
   * `timeoutSeconds`), the connection breaks, or `abort()`. `done` gets the error, if any.
   */
  async watchRoutes(
    resourceVersion: string,
    timeoutSeconds: number,
    onEvent: (event: WatchEvent) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const query = { resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
    return this.watcher.watch(
      this.routesPath(),
      query,
      (type: string, object: unknown) => {
        const event = toWatchEvent(type, object);
        if (event) onEvent(event);
      },
      done,
    );
  }

  async patchRouteStatus(namespace: string, name: string, status: WebhookRouteStatus): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      { group: API_GROUP, version: API_VERSION, plural: ROUTE_PLURAL, namespace, name, body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** The value of one key of a Secret, or undefined when the Secret or the key does not exist. */
  async readSecretKey(namespace: string, name: string, key: string): Promise<string | undefined> {
    try {
      const secret = await this.core.readNamespacedSecret({ namespace, name });
      const encoded = secret.data?.[key];
      return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async recordEvent(route: KubeWebhookRoute, type: 'Normal' | 'Warning', reason: string, message: string, component: string): Promise<void> {
    const now = new Date();
    await this.core.createNamespacedEvent({
      namespace: route.metadata.namespace,
      body: {
        metadata: { generateName: `${route.metadata.name}.`, namespace: route.metadata.namespace },
        involvedObject: {
          apiVersion: `${API_GROUP}/${API_VERSION}`,
          kind: 'WebhookRoute',
          name: route.metadata.name,
          namespace: route.metadata.namespace,
          ...(route.metadata.uid ? { uid: route.metadata.uid } : {}),
          ...(route.metadata.resourceVersion ? { resourceVersion: route.metadata.resourceVersion } : {}),
        },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component },
        reportingComponent: component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }

  async readLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    try {
      return await this.coordination.readNamespacedLease({ namespace, name });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  createLease(namespace: string, lease: V1Lease): Promise<V1Lease> {
    return this.coordination.createNamespacedLease({ namespace, body: lease });
  }

  /** Fails with 409 when someone else wrote the lease since `lease.metadata.resourceVersion`. */
  replaceLease(namespace: string, lease: V1Lease): Promise<V1Lease> {
    return this.coordination.replaceNamespacedLease({ namespace, name: lease.metadata?.name ?? '', body: lease });
  }
}

const ErrorStatus = z.looseObject({ code: z.int().optional(), message: z.string().optional() });
const Bookmark = z.looseObject({ metadata: z.looseObject({ resourceVersion: z.string() }) });

function toWatchEvent(type: string, object: unknown): WatchEvent | undefined {
  if (type === 'ERROR') {
    const status = ErrorStatus.safeParse(object);
    return { type, code: status.data?.code ?? 500, message: status.data?.message ?? 'watch error' };
  }
  if (type === 'BOOKMARK') {
    const bookmark = Bookmark.safeParse(object);
    return bookmark.success ? { type, resourceVersion: bookmark.data.metadata.resourceVersion } : undefined;
  }
  if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
    const route = KubeWebhookRoute.safeParse(object);
    return route.success ? { type, object: route.data } : undefined;
  }
  return undefined;
}
