/**
 * `reduceByKeyAndWindow` with an inverse function: the window at t is the window at t − slide, plus the
 * batches entering, minus (with the inverse) the batches leaving, computed per key with a cogroup, exactly as
 * Spark's `ReducedWindowedDStream`. Each window is materialized, so the lineage stays one window deep.
 */
import { DataflowError } from '../../errors.ts';
import type { Partitioner } from '../../partitioner.ts';
import type { RDD } from '../../rdd/rdd.ts';
import { DStream } from '../dstream.ts';
import { materialize, restoreSnapshot, type StateSnapshot, snapshotLatest } from './materialize.ts';
import { requireMultiple } from './windowed-dstream.ts';

/** What an incremental window saves in a checkpoint. */
interface WindowCheckpoint<K, V> {
  window: StateSnapshot<[K, V]>;
  batches: Array<StateSnapshot<[K, V]>>;
}

export class ReducedWindowedDStream<K, V> extends DStream<[K, V]> {
  override readonly mustCheckpoint = true;
  private readonly parent: DStream<[K, V]>;
  private readonly reducedStream: DStream<[K, V]>;
  private readonly reduceFunc: (a: V, b: V) => V;
  private readonly invReduceFunc: (a: V, b: V) => V;
  private readonly filterFunc: ((pair: [K, V]) => boolean) | undefined;
  private readonly windowDuration: number;
  private readonly slide: number;
  private readonly partitioner: Partitioner;

  constructor(
    parent: DStream<[K, V]>,
    reduceFunc: (a: V, b: V) => V,
    invReduceFunc: (a: V, b: V) => V,
    filterFunc: ((pair: [K, V]) => boolean) | undefined,
    windowDuration: number,
    slideDuration: number,
    partitioner: Partitioner,
  ) {
    super(parent.ssc);
    requireMultiple('window duration', windowDuration, parent.slideDuration);
    requireMultiple('slide duration', slideDuration, parent.slideDuration);
    this.parent = parent;
    this.reduceFunc = reduceFunc;
    this.invReduceFunc = invReduceFunc;
    this.filterFunc = filterFunc;
    this.windowDuration = windowDuration;
    this.slide = slideDuration;
    this.partitioner = partitioner;
    this.reducedStream = parent.reduceByKey(reduceFunc, partitioner);
    this.reducedStream.persist();
  }

  get slideDuration(): number {
    return this.slide;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.reducedStream as DStream<unknown>];
  }

  protected override parentRememberDuration(): number {
    return (this.rememberDuration ?? this.slide) + this.windowDuration;
  }

  async compute(time: number): Promise<RDD<[K, V]> | undefined> {
    const parentSlide = this.parent.slideDuration;
    const currentBegin = time - this.windowDuration + parentSlide;
    const previousBegin = currentBegin - this.slide;
    const previousEnd = time - this.slide;
    const oldRDDs = await this.reducedStream.slice(previousBegin, currentBegin - parentSlide);
    const newRDDs = await this.reducedStream.slice(previousEnd + parentSlide, time);
    const ctx = this.ssc.dataflowContext;
    const previous = (await this.getOrCompute(previousEnd)) ?? ctx.parallelize<[K, V]>([], 1);

    const all = [previous, ...oldRDDs, ...newRDDs] as RDD<[K, unknown]>[];
    const numOld = oldRDDs.length;
    const reduce = this.reduceFunc;
    const inverse = this.invReduceFunc;
    const cogrouped = cogroupAll(all, this.partitioner);
    const merged = cogrouped.mapValues((groups: V[][]): V => {
      const previousValues = groups[0] ?? [];
      const oldValues = groups.slice(1, 1 + numOld).flat();
      const newValues = groups.slice(1 + numOld).flat();
      if (previousValues.length === 0) {
        if (newValues.length === 0) {
          throw new DataflowError(
            'OXBOW_TASK_FAILED',
            'Neither previous window has value for key, nor new values found. Are you sure your key class hashes consistently?',
          );
        }
        return newValues.reduce(reduce);
      }
      let value = previousValues[0] as V;
      if (oldValues.length > 0) value = inverse(value, oldValues.reduce(reduce));
      if (newValues.length > 0) value = reduce(value, newValues.reduce(reduce));
      return value;
    });
    return this.filterFunc ? merged.filter(this.filterFunc) : merged;
  }

  protected override afterCompute(_time: number, rdd: RDD<[K, V]>): Promise<RDD<[K, V]>> {
    return materialize(this.ssc.dataflowContext, rdd);
  }

  /** The latest window, and the per-batch reduced values still inside it (the next windows subtract them). */
  override async checkpointState(): Promise<WindowCheckpoint<K, V> | undefined> {
    const window = await snapshotLatest(this.generatedRDDs);
    if (!window) return undefined;
    const batches: Array<StateSnapshot<[K, V]>> = [];
    for (const [time, rdd] of this.reducedStream.generatedBetween(
      window.time - this.windowDuration,
      window.time,
    )) {
      batches.push({ time, partitions: await rdd.glom().collect() });
    }
    return { window, batches };
  }

  override restoreState(state: unknown): void {
    if (!state) return;
    // Checkpoints written before the in-window batches were saved hold only the window snapshot.
    const saved: WindowCheckpoint<K, V> =
      'window' in (state as object)
        ? (state as WindowCheckpoint<K, V>)
        : { window: state as StateSnapshot<[K, V]>, batches: [] };
    const ctx = this.ssc.dataflowContext;
    restoreSnapshot(ctx, this.generatedRDDs, saved.window, this.partitioner);
    for (const batch of saved.batches ?? []) {
      this.reducedStream.adoptGenerated(batch.time, ctx.fromPartitions(batch.partitions, this.partitioner));
    }
  }
}

/** Cogroups any number of pair RDDs by one partitioner: `[k, [values of rdd 0, values of rdd 1, …]]`. */
export function cogroupAll<K>(
  rdds: readonly RDD<[K, unknown]>[],
  partitioner: Partitioner,
): RDD<[K, never[][]]> {
  const [first, ...rest] = rdds;
  if (!first) throw new DataflowError('OXBOW_INVALID_ARGUMENT', 'cogroupAll needs at least one RDD');
  const cogroup = first.cogroup as unknown as (...args: unknown[]) => RDD<[K, never[][]]>;
  return cogroup.call(first, ...rest, partitioner);
}
