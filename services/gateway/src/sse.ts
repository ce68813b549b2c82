import type { ServerResponse } from 'node:http';

/** How long a client reconnecting by itself (EventSource) waits first. */
const CLIENT_RETRY_MS = 2000;

export type DropReason = 'slow';

/**
 * One Server-Sent Events response. Writes never wait: a client that lets more than `maxBufferBytes` pile
 * up unsent is disconnected (it can resume with Last-Event-ID), so a stalled reader costs at most that
 * much memory.
 */
export class SseStream {
  private open = true;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBufferBytes: number,
    private readonly onDropped: (reason: DropReason) => void,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${CLIENT_RETRY_MS}\n\n`);
    res.on('close', () => this.closed());
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Bytes written but not yet taken by the client. */
  get buffered(): number {
    return this.res.writableLength;
  }

  onClose(listener: () => void): void {
    if (this.open) this.closeListeners.push(listener);
    else listener();
  }

  /** Writes a prepared frame (`id: ...\ndata: ...\n\n`). False when the client is gone or was just dropped. */
  write(frame: string): boolean {
    if (!this.open) return false;
    if (this.res.writableLength + frame.length > this.maxBufferBytes) {
      this.drop('slow');
      return false;
    }
    this.res.write(frame);
    return true;
  }

  comment(text: string): boolean {
    return this.write(`: ${text}\n\n`);
  }

  /** Resolves true once the client has taken what was written, false if it closed or `timeoutMs` passed. */
  drained(timeoutMs: number): Promise<boolean> {
    if (!this.open) return Promise.resolve(false);
    if (this.res.writableLength === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.res.on('drain', onDrain);
      this.res.on('close', onClose);
    });
  }

  /** Disconnects at once, dropping what is unsent. */
  drop(reason: DropReason): void {
    if (!this.open) return;
    this.onDropped(reason);
    this.res.destroy();
    this.closed();
  }

  /** Ends the stream cleanly (shutdown). */
  end(): void {
    if (!this.open) return;
    this.res.end();
    this.closed();
  }

  private closed(): void {
    if (!this.open) return;
    this.open = false;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
