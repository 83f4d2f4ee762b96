/**
 * A stream fed by a {@link Receiver}: records stored since the last batch become the next batch's RDD. Restarts
 * requested by the receiver wait on the context's clock; errors are counted and kept for inspection.
 */
import type { RDD } from '../../rdd/rdd.ts';
import type { Receiver, ReceiverSupervisor } from '../receiver.ts';
import type { StreamingContext } from '../streaming-context.ts';
import { InputDStream } from './input-dstream.ts';

export class ReceiverInputDStream<T> extends InputDStream<T> {
  private readonly receiver: Receiver<T>;
  private buffer: T[] = [];
  private stopped = true;
  /** Errors reported by the receiver (message and cause), oldest first, at most 100. */
  readonly errors: Array<{ message: string; error: unknown }> = [];
  /** How many times the receiver was restarted. */
  restarts = 0;

  constructor(ssc: StreamingContext, receiver: Receiver<T>) {
    super(ssc);
    this.receiver = receiver;
    const supervisor: ReceiverSupervisor<T> = {
      store: (items) => {
        if (!this.stopped) for (const item of items) this.buffer.push(item);
      },
      restart: (message, error, delayMs) => {
        this.record(message, error);
        void this.restartAfter(delayMs);
      },
      reportError: (message, error) => this.record(message, error),
      isStopped: () => this.stopped,
    };
    receiver.attachSupervisor(supervisor);
  }

  override async start(): Promise<void> {
    this.stopped = false;
    await this.receiver.onStart();
  }

  override async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.receiver.onStop();
  }

  async compute(): Promise<RDD<T> | undefined> {
    const items = this.buffer;
    this.buffer = [];
    return this.ssc.dataflowContext.parallelize(items, 1);
  }

  private record(message: string, error: unknown): void {
    this.errors.push({ message, error });
    if (this.errors.length > 100) this.errors.shift();
  }

  private async restartAfter(delayMs: number): Promise<void> {
    if (this.stopped) return;
    this.restarts += 1;
    await this.receiver.onStop();
    await this.ssc.clock.waitUntil(this.ssc.clock.now() + delayMs);
    if (!this.stopped) await this.receiver.onStart();
  }
}
