import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

type Json = Record<string, unknown>;
type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Watcher {
  namespace: string | undefined;
  res: ServerResponse;
}

const ROUTES = /^\/apis\/hookrelay\.dev\/v1alpha1(?:\/namespaces\/([^/]+))?\/webhookroutes(?:\/([^/]+))?(\/status)?$/;
const SECRET = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/;
const EVENTS = /^\/api\/v1\/namespaces\/([^/]+)\/events$/;
const LEASES = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const result: Json = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function metadataOf(object: Json): Json {
  if (!isRecord(object.metadata)) object.metadata = {};
  return object.metadata as Json;
}

/**
 * A Kubernetes API server for tests, speaking the real wire protocol for what the operator uses:
 * WebhookRoutes (list with resourceVersion and limit/continue; watch as a chunked stream with BOOKMARKs, the
 * in-stream 410 ERROR for a compacted resourceVersion, and timeoutSeconds; create, update, delete; merge
 * patch on /status that bumps resourceVersion but not generation), Secrets, Events and Leases (409 on a
 * stale resourceVersion). No validation, admission or auth: tests send what a real server would accept,
 * or on purpose what its CRD schema would have refused.
 */
export class KubeApiTestServer {
  readonly events: Json[] = [];
  /** Every request, as `METHOD path`: to see what the operator did. */
  readonly requests: string[] = [];
  private readonly routes = new Map<string, Json>();
  private readonly secrets = new Map<string, Json>();
  private readonly leases = new Map<string, Json>();
  private history: { rv: number; type: WatchEventType; object: Json }[] = [];
  private compactedThrough = 0;
  private revision = 1;
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  private readonly listSnapshots = new Map<string, { items: Json[]; rv: string }>();
  /** How often an open watch gets a BOOKMARK. */
  bookmarkIntervalMs = 200;
  /** How many watches were answered with the in-stream 410 ERROR. */
  goneAnswers = 0;
  /** Status patches by route key, in order. */
  readonly statusPatches: { key: string; body: unknown }[] = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<KubeApiTestServer> {
    let api!: KubeApiTestServer;
    const server = createServer((req, res) => api.handle(req, res));
    server.on('connection', (socket) => {
      api.sockets.add(socket);
      socket.on('close', () => api.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    api = new KubeApiTestServer(server, `http://127.0.0.1:${port}`);
    return api;
  }

  /** A KubeConfig for this server (client-node refuses plain http unless TLS verification is skipped). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'test', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'test', token: 'test-token' }],
      contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
      currentContext: 'test',
    });
    return kc;
  }

  // ---- what a test does, as kubectl would ----

  applyRoute(object: Json): Json {
    const meta = metadataOf(object);
    const key = `${String(meta.namespace)}/${String(meta.name)}`;
    const existing = this.routes.get(key);
    if (!existing) return this.createRoute(clone(object));
    const updated = clone(object);
    const updatedMeta = metadataOf(updated);
    const existingMeta = metadataOf(existing);
    const specChanged = JSON.stringify(existing.spec) !== JSON.stringify(updated.spec);
    Object.assign(updatedMeta, {
      uid: existingMeta.uid,
      creationTimestamp: existingMeta.creationTimestamp,
      generation: Number(existingMeta.generation) + (specChanged ? 1 : 0),
      resourceVersion: this.nextRevision(),
    });
    // With the status subresource, an update of the object leaves .status alone.
    if (existing.status !== undefined) updated.status = existing.status;
    else delete updated.status;
    this.routes.set(key, updated);
    this.record('MODIFIED', updated);
    return clone(updated);
  }

  deleteRoute(namespace: string, name: string): boolean {
    const key = `${namespace}/${name}`;
    const existing = this.routes.get(key);
    if (!existing) return false;
    this.routes.delete(key);
    const gone = clone(existing);
    metadataOf(gone).resourceVersion = this.nextRevision();
    this.record('DELETED', gone);
    return true;
  }

  getRoute(namespace: string, name: string): Json | undefined {
    const route = this.routes.get(`${namespace}/${name}`);
    return route && clone(route);
  }

  putSecret(namespace: string, name: string, data: Record<string, string>): void {
    this.secrets.set(`${namespace}/${name}`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, resourceVersion: this.nextRevision(), uid: randomUUID() },
      type: 'Opaque',
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
  }

  lease(namespace: string, name: string): Json | undefined {
    const lease = this.leases.get(`${namespace}/${name}`);
    return lease && clone(lease);
  }

  /** Forgets the watch history: a watch from an older resourceVersion now gets 410 Gone. */
  compact(): void {
    this.compactedThrough = this.revision;
    this.history = [];
  }

  /** Cuts every open watch mid-stream, as a load balancer or a crashed API server would. */
  disconnectWatches(): void {
    for (const watcher of this.watchers) watcher.res.socket?.destroy();
    this.watchers.clear();
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- the wire protocol ----

  private nextRevision(): string {
    this.revision += 1;
    return String(this.revision);
  }

  private createRoute(object: Json): Json {
    const meta = metadataOf(object);
    Object.assign(meta, {
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      generation: 1,
      resourceVersion: this.nextRevision(),
    });
    delete object.status;
    this.routes.set(`${String(meta.namespace)}/${String(meta.name)}`, object);
    this.record('ADDED', object);
    return clone(object);
  }

  private record(type: WatchEventType, object: Json): void {
    const rv = Number(metadataOf(object).resourceVersion);
    this.history.push({ rv, type, object: clone(object) });
    for (const watcher of this.watchers) {
      if (watcher.namespace && metadataOf(object).namespace !== watcher.namespace) continue;
      watcher.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', this.url);
      this.requests.push(`${req.method} ${url.pathname}`);
      let body: unknown;
      try {
        body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
      } catch {
        return this.status(res, 400, 'BadRequest', 'the body is not JSON');
      }
      try {
        this.route(req, res, url, body);
      } catch (err) {
        this.status(res, 500, 'InternalError', String(err));
      }
    });
  }

  private route(req: IncomingMessage, res: ServerResponse, url: URL, body: unknown): void {
    const method = req.method ?? 'GET';
    let m = ROUTES.exec(url.pathname);
    if (m) {
      const [, namespace, name, statusPath] = m;
      if (!name && method === 'GET') {
        return url.searchParams.get('watch') === 'true' ? this.watch(res, url, namespace) : this.list(res, url, namespace);
      }
      if (!name && method === 'POST' && namespace && isRecord(body)) {
        if (this.routes.has(`${namespace}/${String(metadataOf(body).name)}`)) return this.status(res, 409, 'AlreadyExists', 'already exists');
        return this.json(res, 201, this.createRoute({ ...clone(body), metadata: { ...metadataOf(clone(body)), namespace } }));
      }
      const key = `${namespace}/${name}`;
      const existing = this.routes.get(key);
      if (!existing) return this.status(res, 404, 'NotFound', `webhookroutes.hookrelay.dev "${name}" not found`);
      if (method === 'GET') return this.json(res, 200, existing);
      if (method === 'DELETE') {
        this.deleteRoute(namespace ?? '', name ?? '');
        return this.status(res, 200, 'Success', 'deleted');
      }
      if (method === 'PATCH' && statusPath) {
        if (!req.headers['content-type']?.startsWith('application/merge-patch+json')) {
          return this.status(res, 415, 'UnsupportedMediaType', `unsupported patch type ${req.headers['content-type']}`);
        }
        if (!isRecord(body)) return this.status(res, 400, 'BadRequest', 'a merge patch is an object');
        this.statusPatches.push({ key, body });
        // Only .status changes through /status; resourceVersion moves, generation does not.
        const patched = clone(existing);
        patched.status = mergePatch(existing.status, body.status);
        metadataOf(patched).resourceVersion = this.nextRevision();
        this.routes.set(key, patched);
        this.record('MODIFIED', patched);
        return this.json(res, 200, patched);
      }
      if (method === 'PUT' && !statusPath && isRecord(body)) return this.json(res, 200, this.applyRoute(body));
      return this.status(res, 405, 'MethodNotAllowed', `${method} not supported here`);
    }
    m = SECRET.exec(url.pathname);
    if (m && method === 'GET') {
      const secret = this.secrets.get(`${m[1]}/${m[2]}`);
      return secret ? this.json(res, 200, secret) : this.status(res, 404, 'NotFound', `secrets "${m[2]}" not found`);
    }
    m = EVENTS.exec(url.pathname);
    if (m && method === 'POST' && isRecord(body)) {
      const event = clone(body);
      const meta = metadataOf(event);
      meta.name = `${String(meta.generateName ?? 'event.')}${randomUUID().slice(0, 8)}`;
      meta.resourceVersion = this.nextRevision();
      this.events.push(event);
      return this.json(res, 201, event);
    }
    m = LEASES.exec(url.pathname);
    if (m) return this.leaseRequest(res, method, m[1] ?? '', m[2], body);
    this.status(res, 404, 'NotFound', `no route for ${method} ${url.pathname}`);
  }

  private list(res: ServerResponse, url: URL, namespace: string | undefined): void {
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const token = url.searchParams.get('continue');
    let snapshot: { items: Json[]; rv: string };
    if (token) {
      const found = this.listSnapshots.get(token);
      if (!found) return this.status(res, 410, 'Expired', 'the provided continue parameter is too old');
      this.listSnapshots.delete(token);
      snapshot = found;
    } else {
      const items = [...this.routes.values()]
        .filter((r) => !namespace || metadataOf(r).namespace === namespace)
        .sort((a, b) => `${metadataOf(a).namespace}/${metadataOf(a).name}`.localeCompare(`${metadataOf(b).namespace}/${metadataOf(b).name}`))
        .map(clone);
      snapshot = { items, rv: String(this.revision) };
    }
    const page = limit > 0 ? snapshot.items.slice(0, limit) : snapshot.items;
    const rest = limit > 0 ? snapshot.items.slice(limit) : [];
    const metadata: Json = { resourceVersion: snapshot.rv };
    if (rest.length > 0) {
      const next = randomUUID();
      this.listSnapshots.set(next, { items: rest, rv: snapshot.rv });
      metadata.continue = next;
    }
    this.json(res, 200, { apiVersion: 'hookrelay.dev/v1alpha1', kind: 'WebhookRouteList', metadata, items: page });
  }

  private watch(res: ServerResponse, url: URL, namespace: string | undefined): void {
    const from = url.searchParams.get('resourceVersion') ?? '';
    const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true';
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const send = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
    const inScope = (o: Json) => !namespace || metadataOf(o).namespace === namespace;
    if (from === '' || from === '0') {
      for (const route of this.routes.values()) if (inScope(route)) send('ADDED', route);
    } else if (Number(from) < this.compactedThrough) {
      // What a real API server does for a compacted resourceVersion: 200, then an ERROR event, then the end.
      this.goneAnswers++;
      send('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${from} (${this.compactedThrough})` });
      res.end();
      return;
    } else {
      for (const event of this.history) if (event.rv > Number(from) && inScope(event.object)) send(event.type, event.object);
    }
    const watcher: Watcher = { namespace, res };
    this.watchers.add(watcher);
    const bookmark = bookmarks
      ? setInterval(
          () => send('BOOKMARK', { kind: 'WebhookRoute', apiVersion: 'hookrelay.dev/v1alpha1', metadata: { resourceVersion: String(this.revision) } }),
          this.bookmarkIntervalMs,
        )
      : undefined;
    const timeout = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    res.on('close', () => {
      clearInterval(bookmark);
      clearTimeout(timeout);
      this.watchers.delete(watcher);
    });
  }

  private leaseRequest(res: ServerResponse, method: string, namespace: string, name: string | undefined, body: unknown): void {
    if (method === 'POST' && !name && isRecord(body)) {
      const leaseName = String(metadataOf(body).name);
      const key = `${namespace}/${leaseName}`;
      if (this.leases.has(key)) return this.status(res, 409, 'AlreadyExists', `leases "${leaseName}" already exists`);
      const lease = clone(body);
      Object.assign(metadataOf(lease), { namespace, resourceVersion: this.nextRevision(), uid: randomUUID() });
      this.leases.set(key, lease);
      return this.json(res, 201, lease);
    }
    const key = `${namespace}/${name}`;
    const existing = this.leases.get(key);
    if (method === 'GET') return existing ? this.json(res, 200, existing) : this.status(res, 404, 'NotFound', `leases "${name}" not found`);
    if (method === 'PUT' && isRecord(body)) {
      if (!existing) return this.status(res, 404, 'NotFound', `leases "${name}" not found`);
      if (metadataOf(body).resourceVersion !== metadataOf(existing).resourceVersion) {
        return this.status(res, 409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const lease = clone(body);
      metadataOf(lease).resourceVersion = this.nextRevision();
      this.leases.set(key, lease);
      return this.json(res, 200, lease);
    }
    this.status(res, 405, 'MethodNotAllowed', `${method} not supported for leases`);
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 400 ? 'Success' : 'Failure', reason, message, code });
  }
}
