/** Bounds work in flight: acquire() waits while `limit` holders are inside. */
export class Semaphore {
  private inside = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  acquire(): Promise<void> | void {
    if (this.inside < this.limit) {
      this.inside++;
      return;
    }
    return new Promise((resolve) => this.waiting.push(() => (this.inside++, resolve())));
  }

  release(): void {
    this.inside--;
    this.waiting.shift()?.();
  }

  /** Resolves once nothing is inside. */
  async idle(pollMs = 20): Promise<void> {
    while (this.inside > 0) await new Promise((r) => setTimeout(r, pollMs));
  }
}
