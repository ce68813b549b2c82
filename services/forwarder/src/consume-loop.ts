import type { JetStreamClient, JsMsg, ConsumerMessages } from '@nats-io/jetstream';
import type { Logger, Semaphore } from '@hookrelay/platform';

export interface ConsumeLoopOptions {
  stream: string;
  consumer: string;
  /** Messages pulled ahead of processing. */
  maxMessages: number;
  /** Shared bound on messages being handled at once. */
  slots: Semaphore;
  handle(msg: JsMsg): Promise<void>;
  log: Logger;
}

/**
 * Pulls from a durable consumer and hands each message to `handle`, never more at once than `slots` allows.
 * A consume that ends (consumer missing, connection closed) is started again until stop() is called. A
 * message that waited long for a slot is marked working, so its ack timer does not run out in our queue.
 */
export class ConsumeLoop {
  private stopped = false;
  private current: ConsumerMessages | undefined;
  readonly done: Promise<void>;

  constructor(
    private readonly js: JetStreamClient,
    private readonly options: ConsumeLoopOptions,
  ) {
    this.done = this.run();
  }

  stop(): Promise<void> {
    this.stopped = true;
    void this.current?.close();
    return this.done;
  }

  private async run(): Promise<void> {
    const { stream, consumer, log } = this.options;
    let failures = 0;
    while (!this.stopped) {
      try {
        const c = await this.js.consumers.get(stream, consumer);
        this.current = await c.consume({ max_messages: this.options.maxMessages, abort_on_missing_resource: true });
        failures = 0;
        for await (const msg of this.current) {
          const waitStarted = performance.now();
          await this.options.slots.acquire();
          if (performance.now() - waitStarted > 1000) msg.working();
          void this.options
            .handle(msg)
            .catch((err: unknown) => {
              log.error({ err, stream, consumer, seq: msg.seq }, 'message handling failed; it will be redelivered');
              msg.nak(1000);
            })
            .finally(() => this.options.slots.release());
        }
      } catch (err) {
        if (!this.stopped) {
          failures++;
          (failures > 3 ? log.warn.bind(log) : log.debug.bind(log))({ err, stream, consumer }, 'consume ended; starting again');
        }
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, Math.min(1000 * failures, 5000) || 200));
    }
  }
}
