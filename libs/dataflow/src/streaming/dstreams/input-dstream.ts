/**
 * Input streams: the roots of the stream graph, one RDD per batch interval. `start`/`stop` bracket the
 * context's lifetime; sources with positions (offsets) save and restore them through checkpoints.
 */
import type { RDD } from '../../rdd/rdd.ts';
import { DStream } from '../dstream.ts';
import type { StreamingContext } from '../streaming-context.ts';

export abstract class InputDStream<T> extends DStream<T> {
  /** Batches up to this time were processed before a restart: their input is not read again. */
  private restoredThrough = Number.NEGATIVE_INFINITY;

  constructor(ssc: StreamingContext) {
    super(ssc);
    ssc.registerInputStream(this as InputDStream<unknown>);
  }

  /** Marks batches up to `time` as processed before a restart (the context calls it when it restores). */
  markRestoredThrough(time: number): void {
    this.restoredThrough = time;
  }

  /**
   * The batch of `time`. A time at or before the restored checkpoint was processed before the restart, and its
   * input is not read again: such a batch is empty (stateful streams restored their state for it).
   */
  override async getOrCompute(time: number): Promise<RDD<T> | undefined> {
    if (time <= this.restoredThrough && this.isTimeValid(time)) return this.ssc.dataflowContext.emptyRDD<T>();
    return super.getOrCompute(time);
  }

  get slideDuration(): number {
    return this.ssc.batchDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [];
  }

  /** Called when the context starts. */
  async start(): Promise<void> {}

  /** Called when the context stops. */
  async stop(): Promise<void> {}

  /** Called after the batch at `time` and its outputs completed (sources commit or acknowledge here). */
  async batchCompleted(_time: number, _info: BatchInfo): Promise<void> {}
}

/** What the engine knows of a completed batch. */
export interface BatchInfo {
  readonly batchTime: number;
  /** When the batch was due (its time) and when it started and ended, on the context's clock. */
  readonly processingStartTime: number;
  readonly processingEndTime: number;
  /** Records the input streams delivered for this batch (when they know). */
  readonly numRecords: number;
  /** Delay between the batch's time and the start of its processing. */
  readonly schedulingDelayMs: number;
  readonly processingDelayMs: number;
}
