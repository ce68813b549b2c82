import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '@hookrelay/platform';
import { statusOf, type KubeApi } from './kube-api.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  /** This replica: its pod name, unique among replicas. */
  identity: string;
  /** A holder that has not renewed for this long has lost the lease. */
  leaseDurationMs?: number;
  /** How often the holder renews, and others look. */
  retryPeriodMs?: number;
}

export interface LeadershipCallbacks {
  started(): Promise<void>;
  stopped(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * One leader among replicas, through a coordination.k8s.io Lease (as client-go's leaderelection). Expiry is
 * judged by when this replica last saw the lease change, not by the holder's clock. A leader that cannot
 * renew within the lease duration steps down before anyone else may take over.
 */
export class LeaseLeaderElection {
  private leading = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private observed: { holder: string; renewTime: string; at: number } | undefined;
  private lastRenewedAt = 0;
  private readonly leaseDurationMs: number;
  private readonly retryPeriodMs: number;

  constructor(
    private readonly api: KubeApi,
    private readonly options: LeaderElectionOptions,
    private readonly callbacks: LeadershipCallbacks,
    private readonly log: Logger,
  ) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.retryPeriodMs = options.retryPeriodMs ?? Math.max(100, Math.floor(this.leaseDurationMs / 5));
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Stops leading (callbacks.stopped) and hands the lease back so another replica need not wait. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    if (this.leading) await this.stepDown('shutting down');
    try {
      const lease = await this.api.readLease(this.options.namespace, this.options.name);
      if (lease?.spec?.holderIdentity === this.options.identity) {
        await this.api.replaceLease(this.options.namespace, { ...lease, spec: { ...lease.spec, holderIdentity: undefined, renewTime: new V1MicroTime(0) } });
      }
    } catch (err) {
      this.log.debug({ err }, 'could not release the lease');
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const holding = await this.tryAcquireOrRenew();
        if (holding) this.lastRenewedAt = Date.now();
        if (holding && !this.leading) {
          this.leading = true;
          this.log.info({ lease: this.options.name, identity: this.options.identity }, 'became the leader');
          await this.callbacks.started();
        } else if (!holding && this.leading) {
          await this.stepDown('another replica holds the lease');
        }
      } catch (err) {
        this.log.warn({ err }, 'lease renewal failed');
        if (this.leading && Date.now() - this.lastRenewedAt > this.leaseDurationMs * 0.8) {
          await this.stepDown('could not renew the lease in time');
        }
      }
      await sleep(this.retryPeriodMs);
    }
  }

  private async stepDown(why: string): Promise<void> {
    this.leading = false;
    this.log.warn({ lease: this.options.name, identity: this.options.identity, why }, 'stopped leading');
    await this.callbacks.stopped();
  }

  /** True when this replica holds the lease after the call. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const now = new V1MicroTime();
    const leaseDurationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    const lease = await this.api.readLease(namespace, name);
    if (!lease) {
      try {
        await this.api.createLease(namespace, {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        });
        return true;
      } catch (err) {
        if (statusOf(err) === 409) return false;
        throw err;
      }
    }
    const holder = lease.spec?.holderIdentity ?? '';
    const renewTime = lease.spec?.renewTime ? new Date(lease.spec.renewTime).toISOString() : '';
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime) {
      this.observed = { holder, renewTime, at: Date.now() };
    }
    const expired = Date.now() - this.observed.at > this.leaseDurationMs;
    if (holder && holder !== identity && !expired) return false;
    const taking = holder !== identity;
    const updated: V1Lease = {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: now,
        // MicroTime, as the API server wants it (a plain Date would serialize with milliseconds).
        acquireTime: taking || !lease.spec?.acquireTime ? now : new V1MicroTime(lease.spec.acquireTime),
        ...(taking ? { leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 } : {}),
      },
    };
    try {
      await this.api.replaceLease(namespace, updated);
      return true;
    } catch (err) {
      // Someone else wrote the lease first (optimistic concurrency on resourceVersion).
      if (statusOf(err) === 409) return false;
      throw err;
    }
  }
}
