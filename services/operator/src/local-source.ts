import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@hookrelay/platform';
import type { OperatorMetrics } from './metrics.js';
import { failedStatus, reconcileRoute, releaseRoutes, validateRoute, type RouteStatus } from './reconcile.js';
import { ROUTE_FILE_PATTERN, parseRouteFile, type RouteFileDocument } from './route-file.js';
import type { RouteStore } from './route-store.js';
import { localSecretReader, type SecretReader } from './secrets.js';

export const LOCAL_SOURCE_PREFIX = 'local/';
const MAX_ROUTE_FILE_BYTES = 1_048_576;

/** The status of one document of a route file. */
export interface LocalRouteStatus extends RouteStatus {
  /** The file name inside ROUTES_DIR. */
  file: string;
  /** `local/<file>`: the owner written into each of its routes. */
  source: string;
  /** metadata.name, when the document has one. */
  name?: string;
}

export interface LocalSourceOptions {
  dir: string;
  store: RouteStore;
  publicUrl: string;
  log: Logger;
  metrics?: OperatorMetrics;
  /** Where secret references point in local mode; default: the environment and files (localSecretReader). */
  readSecret?: SecretReader;
  /** fs.watch misses events (editors that rename, network filesystems): the folder is rescanned this often. */
  scanIntervalMs?: number;
  /** Every file is reconciled again this often, repairing drift (a consumer deleted by hand, a NATS store lost). */
  resyncIntervalMs?: number;
}

/** A route file as read: its text, or its size when it is too large to parse. */
type FolderEntry = { kind: 'text'; text: string } | { kind: 'too-large'; bytes: number };

const fingerprintOf = (entry: FolderEntry): string => (entry.kind === 'text' ? entry.text : `too large: ${entry.bytes}`);

interface FileState {
  fingerprint: string;
  statuses: LocalRouteStatus[];
  /** Reconcile again at the next scan even if unchanged: a conflict may have cleared, NATS may be back. */
  retry: boolean;
}

export const localSourceOf = (file: string): string => `${LOCAL_SOURCE_PREFIX}${file}`;

/**
 * Local mode: every *.yaml / *.yml in ROUTES_DIR is a file of WebhookRoute documents. Added, changed and
 * removed files take effect without a restart. A file's routes are owned by `local/<file>`; a route whose
 * file is gone is removed, also when the file went while the operator was down.
 */
export class LocalRouteSource {
  private readonly files = new Map<string, FileState>();
  private readonly scanIntervalMs: number;
  private readonly resyncIntervalMs: number;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rescanRequested = false;
  private lastResync = Date.now();
  private stopped = false;
  private missingDirLogged = false;
  private readonly readSecret: SecretReader;

  constructor(private readonly options: LocalSourceOptions) {
    this.scanIntervalMs = options.scanIntervalMs ?? 2_000;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 60_000;
    this.readSecret = options.readSecret ?? localSecretReader();
  }

  /** Resolves after the first full scan: every file reconciled, every orphaned local route removed. */
  async start(): Promise<void> {
    await this.options.store.load();
    await this.scan();
    this.timer = setInterval(() => void this.scan(), this.scanIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    await this.running;
  }

  statuses(): LocalRouteStatus[] {
    return [...this.files.values()].flatMap((f) => f.statuses);
  }

  /** Scans now, or once more after the scan in progress. */
  scan(): Promise<void> {
    if (this.running) {
      this.rescanRequested = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.rescanRequested = false;
          await this.scanOnce();
        } while (this.rescanRequested && !this.stopped);
      } catch (err) {
        this.options.log.error({ err, dir: this.options.dir }, 'scanning the routes folder failed');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async scanOnce(): Promise<void> {
    const { log, store } = this.options;
    const present = await this.readFolder();
    if (present === undefined || this.stopped) return;
    this.ensureWatcher();

    // Routes of files that are gone: removed now, or while the operator was down. Other owners are left alone.
    for (const source of store.sources()) {
      if (!source.startsWith(LOCAL_SOURCE_PREFIX) || present.has(source.slice(LOCAL_SOURCE_PREFIX.length))) continue;
      try {
        const removed = await releaseRoutes(store, source);
        if (removed.length > 0) log.info({ file: source.slice(LOCAL_SOURCE_PREFIX.length), projectIds: removed }, 'route file removed; routes deleted');
      } catch (err) {
        log.error({ err, source }, 'could not delete the routes of a removed file; retrying');
      }
    }
    for (const file of this.files.keys()) if (!present.has(file)) this.files.delete(file);

    const resync = Date.now() - this.lastResync >= this.resyncIntervalMs;
    if (resync) this.lastResync = Date.now();
    for (const [file, entry] of [...present].sort(([a], [b]) => a.localeCompare(b))) {
      if (this.stopped) return;
      const known = this.files.get(file);
      if (known && known.fingerprint === fingerprintOf(entry) && !known.retry && !resync) continue;
      await this.reconcileFile(file, entry);
    }
  }

  /** Every route file by name; undefined when the folder does not exist. */
  private async readFolder(): Promise<Map<string, FolderEntry> | undefined> {
    const { dir, log } = this.options;
    let names: string[];
    try {
      names = await readdir(dir);
      this.missingDirLogged = false;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // A missing folder holds no routes; but do not delete anything on what may be a mount not yet there.
      if (!this.missingDirLogged) log.warn({ dir }, 'routes folder does not exist; waiting for it');
      this.missingDirLogged = true;
      return undefined;
    }
    const present = new Map<string, FolderEntry>();
    for (const name of names.filter((n) => ROUTE_FILE_PATTERN.test(n))) {
      const path = join(dir, name);
      try {
        const info = await stat(path);
        if (!info.isFile()) continue;
        // A huge file is reported rather than parsed; its previous routes stay.
        present.set(
          name,
          info.size > MAX_ROUTE_FILE_BYTES ? { kind: 'too-large', bytes: info.size } : { kind: 'text', text: await readFile(path, 'utf8') },
        );
      } catch (err) {
        // Deleted between readdir and read: the next scan sees it gone.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return present;
  }

  private async reconcileFile(file: string, entry: FolderEntry): Promise<void> {
    const { store, publicUrl } = this.options;
    const source = localSourceOf(file);
    const statuses: LocalRouteStatus[] = [];
    const claimed = new Set<string>();
    let everyDocumentApplied = true;
    let retry = false;

    const documents: RouteFileDocument[] =
      entry.kind === 'text'
        ? parseRouteFile(entry.text)
        : [{ index: 0, ok: false, error: `file has ${entry.bytes} bytes, more than the ${MAX_ROUTE_FILE_BYTES} a route file may have` }];
    for (const doc of documents) {
      let status: RouteStatus;
      let name: string | undefined;
      if (!doc.ok) {
        status = { ready: false, reason: 'InvalidYaml', message: doc.error };
      } else {
        name = doc.name;
        const validation = validateRoute(doc.value, { source, publicUrl });
        if (validation.ok && claimed.has(validation.route.projectId)) {
          const projectId = validation.route.projectId;
          status = { ready: false, reason: 'ProjectIdConflict', projectId, message: `project ${projectId} is routed twice in ${source}` };
        } else {
          try {
            status = await reconcileRoute(doc.value, { store, source, publicUrl, readSecret: this.readSecret });
          } catch (err) {
            status = failedStatus(err, validation.ok ? validation.route.projectId : undefined);
          }
        }
      }
      if (status.ready && status.projectId) claimed.add(status.projectId);
      else everyDocumentApplied = false;
      // Outcomes that can change with no edit of the file: looked at again at the next scan.
      if (status.reason === 'ProjectIdConflict' || status.reason === 'ReconcileFailed' || status.reason === 'SecretNotFound') retry = true;
      statuses.push({ ...status, file, source, ...(name !== undefined ? { name } : {}) });
    }

    // A file that does not fully apply changes nothing it held before: the last valid routes stay in effect.
    if (everyDocumentApplied) {
      try {
        const removed = await releaseRoutes(store, source, claimed);
        if (removed.length > 0) this.options.log.info({ file, projectIds: removed }, 'routes no longer in the file deleted');
      } catch (err) {
        this.options.log.error({ err, file }, 'could not delete routes taken out of the file; retrying');
        retry = true;
      }
    }

    this.report(file, statuses);
    this.files.set(file, { fingerprint: fingerprintOf(entry), statuses, retry });
  }

  /** Logs each status that changed (a resync that changes nothing stays quiet) and counts every reconcile. */
  private report(file: string, statuses: LocalRouteStatus[]): void {
    const { log, metrics } = this.options;
    const before = this.files.get(file)?.statuses ?? [];
    statuses.forEach((status, i) => {
      metrics?.reconciled(status);
      const previous = before[i];
      if (previous && previous.reason === status.reason && previous.message === status.message) return;
      const fields = {
        file,
        ...(status.projectId ? { projectId: status.projectId } : {}),
        ...(status.name ? { route: status.name } : {}),
        reason: status.reason,
        ...(status.webhookUrl ? { webhookUrl: status.webhookUrl } : {}),
      };
      if (status.ready) log.info(fields, `route ready: ${status.message}`);
      else if (status.reason === 'ReconcileFailed') log.error(fields, `route not applied: ${status.message}`);
      else log.warn(fields, `route not ready: ${status.message}`);
    });
    if (statuses.length === 0 && before.length > 0) log.info({ file }, 'route file holds no routes');
  }

  private ensureWatcher(): void {
    if (this.watcher || this.stopped) return;
    try {
      const watcher = watch(this.options.dir, { persistent: false }, () => this.scanSoon());
      watcher.on('error', () => {
        // The folder went away or was replaced; the periodic scan notices and watches it again.
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
      });
      this.watcher = watcher;
    } catch (err) {
      this.options.log.debug({ err, dir: this.options.dir }, 'fs.watch unavailable; relying on the periodic scan');
    }
  }

  private debounce: NodeJS.Timeout | undefined;

  /** Editors write a file in several steps: wait for them to settle. */
  private scanSoon(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.scan(), 50);
    this.debounce.unref();
  }
}
