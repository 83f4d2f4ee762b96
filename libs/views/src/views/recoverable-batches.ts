/**
 * A DStream whose recent batches survive a restart: it keeps each batch's RDD as data and writes the last
 * `keepMs` of them into the checkpoint, so a window reaching back before a restart (the batches leaving an
 * incremental `reduceByKeyAndWindow`) finds them restored instead of recomputing its input for times the
 * source has already moved past. Put it after a reduction, where a batch is small.
 */
import { DStream, type RDD } from '@oxbow/dataflow';

interface SavedBatches<T> {
  batches: Array<[time: number, partitions: T[][]]>;
}

/** See the module comment. */
export class RecoverableBatchesDStream<T> extends DStream<T> {
  private readonly parent: DStream<T>;
  private readonly keepMs: number;

  constructor(parent: DStream<T>, keepMs: number) {
    super(parent.ssc);
    this.parent = parent;
    this.keepMs = keepMs;
  }

  get slideDuration(): number {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent as DStream<unknown>];
  }

  async compute(time: number): Promise<RDD<T> | undefined> {
    const rdd = await this.parent.getOrCompute(time);
    if (!rdd) return undefined;
    const partitions = await rdd.glom().collect();
    return this.ssc.dataflowContext.fromPartitions(partitions.length > 0 ? partitions : [[]]);
  }

  override async checkpointState(): Promise<SavedBatches<T> | undefined> {
    const times = [...this.generatedRDDs.keys()].sort((a, b) => a - b);
    const latest = times[times.length - 1];
    if (latest === undefined) return undefined;
    const batches: SavedBatches<T>['batches'] = [];
    for (const time of times) {
      const rdd = this.generatedRDDs.get(time);
      if (rdd && time > latest - this.keepMs) batches.push([time, await rdd.glom().collect()]);
    }
    return { batches };
  }

  override restoreState(state: unknown): void {
    const saved = state as SavedBatches<T> | undefined;
    for (const [time, partitions] of saved?.batches ?? []) {
      this.generatedRDDs.set(
        time,
        this.ssc.dataflowContext.fromPartitions(partitions.length > 0 ? partitions : [[]]),
      );
    }
  }
}

/**
 * `stream`, with its batches of the last `keepMs` restored after a restart.
 *
 * @example
 * ```ts
 * recoverableBatches(perPath, windowMs).reduceByKeyAndWindow(add, subtract, windowMs, slideMs);
 * ```
 */
export function recoverableBatches<T>(stream: DStream<T>, keepMs: number): DStream<T> {
  return new RecoverableBatchesDStream(stream, keepMs);
}
