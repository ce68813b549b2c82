/**
 * Keys to process one at a time, each at most once in the queue however often it is added (the handler
 * reads the latest state for the key). A failed key comes back after an exponential delay.
 */
export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly retries = new Map<string, { attempt: number; timer: NodeJS.Timeout }>();
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown, retryInMs: number) => void,
    private readonly baseDelayMs = 500,
    private readonly maxDelayMs = 60_000,
  ) {
    this.done = this.run();
  }

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    this.wake?.();
  }

  /** Forgets scheduled retries, e.g. when leadership is lost; keys added later are processed. */
  clear(): void {
    this.pending.clear();
    for (const { timer } of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clear();
    this.wake?.();
    await this.done;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const next = this.pending.values().next();
      if (next.done) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const key = next.value;
      this.pending.delete(key);
      try {
        await this.handle(key);
        const retry = this.retries.get(key);
        if (retry) clearTimeout(retry.timer);
        this.retries.delete(key);
      } catch (err) {
        this.scheduleRetry(key, err);
      }
    }
  }

  private scheduleRetry(key: string, err: unknown): void {
    if (this.stopped) return;
    const previous = this.retries.get(key);
    if (previous) clearTimeout(previous.timer);
    const attempt = (previous?.attempt ?? 0) + 1;
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    this.onError(key, err, delay);
    const timer = setTimeout(() => this.add(key), delay);
    timer.unref();
    this.retries.set(key, { attempt, timer });
  }
}
