/**
 * `DStream<T>`: a discretized stream, Spark Streaming's abstraction: a sequence of RDDs, one per slide interval,
 * generated lazily from its parents. Every RDD operation is available per batch through `transform`; the
 * operators below are Spark's, with the same names, argument order and semantics (durations in milliseconds,
 * tuples as `[k, v]`, `Option` as `T | undefined`).
 */
import { DataflowError, requireArgument } from '../errors.ts';
import { HashPartitioner, type Partitioner } from '../partitioner.ts';
import type { PartitionsArg, RDD, StorageLevel } from '../rdd/rdd.ts';
import { StreamOperators } from './dstreams/registry.ts';
import type { EventTimeWindowOptions, WindowResult } from './event-time/event-time-window-dstream.ts';
import type { StateSpec } from './state.ts';
import type { StreamingContext } from './streaming-context.ts';

/** What `eventTimeWindow` returns: the emitted windows, the late side output and the watermark. */
export interface EventTimeWindowStream<T, K, O> extends DStream<WindowResult<K, O>> {
  lateRecords(): DStream<T>;
  readonly watermark: number;
  readonly lateRecordCount: number;
}

/** What `mapWithState` returns: the mapped values, and the states after each batch. */
export interface MapWithStateStream<K, S, M> extends DStream<M> {
  stateSnapshots(): DStream<[K, S]>;
}

/** An output action run on each batch's RDD. */
export type ForeachFunction<T> = (rdd: RDD<T>, time: number) => void | Promise<void>;

export abstract class DStream<T> {
  readonly ssc: StreamingContext;
  readonly id: number;
  /** RDDs generated so far, by batch time. */
  protected readonly generatedRDDs = new Map<number, RDD<T>>();
  /** Set by `initialize` when the context starts. */
  zeroTime: number | undefined;
  /** How long generated RDDs are kept (windows make their parents remember more). */
  rememberDuration: number | undefined;
  /** Storage level applied to every generated RDD (`persist`/`cache`). */
  storageLevel: StorageLevel | undefined;
  /** Interval at which this stream's state is materialized and checkpointed, when it is stateful. */
  checkpointDuration: number | undefined;
  /** Stateful streams must be checkpointed (updateStateByKey, mapWithState, inverse windows). */
  readonly mustCheckpoint: boolean = false;

  constructor(ssc: StreamingContext) {
    this.ssc = ssc;
    this.id = ssc.registerStream(this as DStream<unknown>);
  }

  /** Time between two RDDs of this stream. */
  abstract get slideDuration(): number;
  /** The streams this one is computed from. */
  abstract get dependencies(): readonly DStream<unknown>[];
  /** Generates the RDD for a valid batch time, or undefined when there is none. */
  abstract compute(time: number): Promise<RDD<T> | undefined>;

  /** A short name for debug output and errors. */
  get name(): string {
    return this.constructor.name;
  }

  // ------------------------------------------------------- generation

  /** Prepares the stream for a start at `zeroTime` (recursively). */
  initialize(zeroTime: number): void {
    if (this.zeroTime !== undefined && this.zeroTime === zeroTime) return;
    this.zeroTime = zeroTime;
    if (this.mustCheckpoint && this.checkpointDuration === undefined) {
      this.checkpointDuration = this.slideDuration * Math.max(1, Math.ceil(10_000 / this.slideDuration));
    }
    const minRemember = Math.max(
      this.slideDuration,
      this.checkpointDuration ? 2 * this.checkpointDuration : 0,
    );
    this.rememberDuration = Math.max(this.rememberDuration ?? 0, minRemember);
    for (const parent of this.dependencies) {
      parent.initialize(zeroTime);
      parent.remember(this.parentRememberDuration());
    }
  }

  /** Checks the stream graph before starting; throws a clear error when it cannot run. */
  validateAtStart(): void {
    requireArgument(this.slideDuration > 0, `${this.name}: the slide duration must be positive`);
    if (this.mustCheckpoint && !this.ssc.checkpointDir) {
      throw new DataflowError(
        'OXBOW_INVALID_ARGUMENT',
        `The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint() (${this.name} is stateful).`,
      );
    }
    for (const parent of this.dependencies) parent.validateAtStart();
  }

  /** Makes this stream (and, through windows, its parents) keep RDDs for at least `duration`. */
  remember(duration: number): void {
    this.rememberDuration = Math.max(this.rememberDuration ?? 0, duration);
    for (const parent of this.dependencies) parent.remember(this.parentRememberDuration());
  }

  /** How long parents must keep their RDDs for this stream (windows add their length). */
  protected parentRememberDuration(): number {
    return this.rememberDuration ?? this.slideDuration;
  }

  /** Whether an RDD is generated at `time`: after the zero time, on a multiple of the slide. */
  isTimeValid(time: number): boolean {
    if (this.zeroTime === undefined) return false;
    return time > this.zeroTime && (time - this.zeroTime) % this.slideDuration === 0;
  }

  /** The RDD of `time`, computed once and remembered. */
  async getOrCompute(time: number): Promise<RDD<T> | undefined> {
    const known = this.generatedRDDs.get(time);
    if (known) return known;
    if (!this.isTimeValid(time)) return undefined;
    let rdd = await this.compute(time);
    if (!rdd) return undefined;
    if (this.storageLevel) rdd.persist(this.storageLevel);
    rdd = await this.afterCompute(time, rdd);
    this.generatedRDDs.set(time, rdd);
    return rdd;
  }

  /** Puts `rdd` as the one generated at `time` (used when restoring a checkpoint). */
  adoptGenerated(time: number, rdd: RDD<T>): void {
    this.generatedRDDs.set(time, rdd);
  }

  /** The generated RDDs at times in (fromTime, toTime], oldest first. */
  generatedBetween(fromTime: number, toTime: number): Array<[number, RDD<T>]> {
    return [...this.generatedRDDs.entries()]
      .filter(([t]) => t > fromTime && t <= toTime)
      .sort((a, b) => a[0] - b[0]);
  }

  /** Stateful streams materialize their RDD here (cutting lineage); others return it unchanged. */
  protected async afterCompute(_time: number, rdd: RDD<T>): Promise<RDD<T>> {
    return rdd;
  }

  /** Forgets RDDs older than the remember duration (recursively). */
  clearMetadata(time: number): void {
    const horizon = time - (this.rememberDuration ?? this.slideDuration);
    for (const [t, rdd] of this.generatedRDDs) {
      if (t <= horizon) {
        if (rdd.getStorageLevel()) rdd.unpersist();
        this.generatedRDDs.delete(t);
      }
    }
    for (const parent of this.dependencies) parent.clearMetadata(time);
  }

  /** The RDDs generated for the valid times in [fromTime, toTime], computing missing ones. */
  async slice(fromTime: number, toTime: number): Promise<RDD<T>[]> {
    const zero = this.zeroTime;
    if (zero === undefined)
      throw new DataflowError('OXBOW_INVALID_ARGUMENT', `${this.name} has not been initialized`);
    const slide = this.slideDuration;
    const alignedTo = toTime - ((((toTime - zero) % slide) + slide) % slide);
    const fromOffset = (((fromTime - zero) % slide) + slide) % slide;
    const alignedFrom = fromOffset === 0 ? fromTime : fromTime + (slide - fromOffset);
    const rdds: RDD<T>[] = [];
    for (let t = alignedFrom; t <= alignedTo; t += slide) {
      const rdd = await this.getOrCompute(t);
      if (rdd) rdds.push(rdd);
    }
    return rdds;
  }

  /** State this stream needs in a checkpoint (stateful streams override). */
  checkpointState(): Promise<unknown> | unknown {
    return undefined;
  }

  /** Restores what `checkpointState` saved. */
  restoreState(_state: unknown): void {}

  // ------------------------------------------------------- persistence

  /** Persists every generated RDD. */
  persist(level: StorageLevel = 'MEMORY_ONLY'): this {
    this.storageLevel = level;
    return this;
  }

  /** `persist('MEMORY_ONLY')`. */
  cache(): this {
    return this.persist();
  }

  /** Materializes and checkpoints this stream's RDDs every `intervalMs` (stateful streams). */
  checkpoint(intervalMs: number): this {
    requireArgument(
      intervalMs > 0 && intervalMs % this.slideDuration === 0,
      `checkpoint interval ${intervalMs} ms must be a positive multiple of the slide duration ${this.slideDuration} ms`,
    );
    this.checkpointDuration = intervalMs;
    return this;
  }

  // ------------------------------------------------------- transformations

  /** Applies `f` to every element of every batch. */
  map<U>(f: (value: T) => U): DStream<U> {
    return this.transform((rdd) => rdd.map(f));
  }

  /** Applies `f` to every element and flattens. */
  flatMap<U>(f: (value: T) => Iterable<U>): DStream<U> {
    return this.transform((rdd) => rdd.flatMap(f));
  }

  /** Keeps the elements for which `f` is true. */
  filter(f: (value: T) => boolean): DStream<T> {
    return this.transform((rdd) => rdd.filter(f));
  }

  /** One array per partition of each batch. */
  glom(): DStream<T[]> {
    return this.transform((rdd) => rdd.glom());
  }

  /** Applies `f` to each partition's iterator of each batch. */
  mapPartitions<U>(f: (iterator: Iterator<T>) => Iterable<U>, preservesPartitioning = false): DStream<U> {
    return this.transform((rdd) => rdd.mapPartitions(f, preservesPartitioning));
  }

  /** Each batch redistributed into `numPartitions` partitions. */
  repartition(numPartitions: number): DStream<T> {
    return this.transform((rdd) => rdd.repartition(numPartitions));
  }

  /** The elements of this stream and `other`, batch by batch (same slide duration). */
  union(other: DStream<T>): DStream<T> {
    return this.ssc.union([this, other]);
  }

  /** A single-element RDD per batch: the number of elements (0 for an empty batch), as Spark. */
  count(): DStream<number> {
    const ctx = this.ssc.dataflowContext;
    return this.map((): [null, number] => [null, 1])
      .transform((rdd) => rdd.union(ctx.parallelize<[null, number]>([[null, 0]], 1)))
      .reduceByKey((a, b) => a + b)
      .map(([, n]) => n);
  }

  /** The number of times each distinct element occurs, per batch. */
  countByValue(numPartitions?: PartitionsArg): DStream<[T, number]> {
    return this.map((x): [T, number] => [x, 1]).reduceByKey((a, b) => a + b, numPartitions);
  }

  /** A single-element RDD per batch: all elements reduced with `f` (nothing for an empty batch). */
  reduce(f: (a: T, b: T) => T): DStream<T> {
    return this.map((x): [null, T] => [null, x])
      .reduceByKey(f, 1)
      .map(([, v]) => v);
  }

  /** Applies an RDD-to-RDD function to each batch (the function may also use the batch time). */
  transform<U>(f: (rdd: RDD<T>, time: number) => RDD<U>): DStream<U> {
    return StreamOperators.transformed<U>(this.ssc, [this as DStream<unknown>], (rdds, time) =>
      f(rdds[0] as RDD<T>, time),
    );
  }

  /** Applies a function of this stream's and `other`'s RDDs to each batch. */
  transformWith<U, V>(
    other: DStream<U>,
    f: (rdd: RDD<T>, other: RDD<U>, time: number) => RDD<V>,
  ): DStream<V> {
    return StreamOperators.transformed<V>(
      this.ssc,
      [this as DStream<unknown>, other as DStream<unknown>],
      (rdds, time) => f(rdds[0] as RDD<T>, rdds[1] as RDD<U>, time),
    );
  }

  /** Prints the first `num` elements of every batch (an output operation). */
  print(num = 10): void {
    this.foreachRDD(async (rdd, time) => {
      const first = await rdd.take(num + 1);
      const lines = [
        '-------------------------------------------',
        `Time: ${time} ms`,
        '-------------------------------------------',
      ];
      for (const x of first.slice(0, num)) lines.push(typeof x === 'string' ? x : JSON.stringify(x));
      if (first.length > num) lines.push('...');
      console.log(`${lines.join('\n')}\n`);
    });
  }

  /** Runs `f` on each batch's RDD (an output operation). */
  foreachRDD(f: ForeachFunction<T>): void {
    StreamOperators.foreach(this.ssc, this as DStream<unknown>, f as ForeachFunction<unknown>);
  }

  // ------------------------------------------------------------ windows

  /** Each RDD holds the elements of the last `windowDuration`, every `slideDuration`. */
  window(windowDuration: number, slideDuration: number = this.slideDuration): DStream<T> {
    return StreamOperators.windowed(this, windowDuration, slideDuration);
  }

  /** The number of elements in a sliding window (incremental: requires a checkpoint directory). */
  countByWindow(windowDuration: number, slideDuration: number): DStream<number> {
    return this.map(() => 1).reduceByWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      windowDuration,
      slideDuration,
    );
  }

  /** All elements of a sliding window reduced with `f`; with `invF`, incrementally. */
  reduceByWindow(f: (a: T, b: T) => T, windowDuration: number, slideDuration: number): DStream<T>;
  reduceByWindow(
    f: (a: T, b: T) => T,
    invF: (a: T, b: T) => T,
    windowDuration: number,
    slideDuration: number,
  ): DStream<T>;
  reduceByWindow(
    f: (a: T, b: T) => T,
    invOrWindow: ((a: T, b: T) => T) | number,
    windowOrSlide: number,
    slide?: number,
  ): DStream<T> {
    if (typeof invOrWindow === 'number') {
      return this.reduce(f).window(invOrWindow, windowOrSlide).reduce(f);
    }
    return this.map((x): [number, T] => [1, x])
      .reduceByKeyAndWindow(f, invOrWindow, windowOrSlide, slide ?? this.slideDuration, 1)
      .map(([, v]) => v);
  }

  /** The count of each distinct element in a sliding window (incremental; zero counts dropped). */
  countByValueAndWindow(
    windowDuration: number,
    slideDuration: number,
    numPartitions?: number,
  ): DStream<[T, number]> {
    return this.map((x): [T, number] => [x, 1]).reduceByKeyAndWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      windowDuration,
      slideDuration,
      numPartitions,
      ([, n]) => n !== 0,
    );
  }

  // -------------------------------------------------------- pair operations

  /** Groups the values of each key, per batch. */
  groupByKey<K, V>(this: DStream<[K, V]>, numPartitions?: PartitionsArg): DStream<[K, V[]]> {
    return this.transform((rdd) => rdd.groupByKey(this.partitionsFor(numPartitions)));
  }

  /** Merges the values of each key with `f`, per batch. */
  reduceByKey<K, V>(
    this: DStream<[K, V]>,
    f: (a: V, b: V) => V,
    numPartitions?: PartitionsArg,
  ): DStream<[K, V]> {
    return this.transform((rdd) => rdd.reduceByKey(f, this.partitionsFor(numPartitions)));
  }

  /** Spark's generic per-key aggregation, per batch. */
  combineByKey<K, V, C>(
    this: DStream<[K, V]>,
    createCombiner: (v: V) => C,
    mergeValue: (c: C, v: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    numPartitions?: PartitionsArg,
  ): DStream<[K, C]> {
    return this.transform((rdd) =>
      rdd.combineByKey(createCombiner, mergeValue, mergeCombiners, this.partitionsFor(numPartitions)),
    );
  }

  /** Applies `f` to every value. */
  mapValues<K, V, U>(this: DStream<[K, V]>, f: (v: V) => U): DStream<[K, U]> {
    return this.transform((rdd) => rdd.mapValues(f));
  }

  /** Applies `f` to every value and flattens. */
  flatMapValues<K, V, U>(this: DStream<[K, V]>, f: (v: V) => Iterable<U>): DStream<[K, U]> {
    return this.transform((rdd) => rdd.flatMapValues(f));
  }

  /** Inner join of each batch with `other`'s batch of the same time. */
  join<K, V, W>(
    this: DStream<[K, V]>,
    other: DStream<[K, W]>,
    numPartitions?: PartitionsArg,
  ): DStream<[K, [V, W]]> {
    return this.transformWith(other, (a, b) => a.join(b, this.partitionsFor(numPartitions)));
  }

  /** Left outer join, batch by batch. */
  leftOuterJoin<K, V, W>(
    this: DStream<[K, V]>,
    other: DStream<[K, W]>,
    numPartitions?: PartitionsArg,
  ): DStream<[K, [V, W | undefined]]> {
    return this.transformWith(other, (a, b) => a.leftOuterJoin(b, this.partitionsFor(numPartitions)));
  }

  /** Right outer join, batch by batch. */
  rightOuterJoin<K, V, W>(
    this: DStream<[K, V]>,
    other: DStream<[K, W]>,
    numPartitions?: PartitionsArg,
  ): DStream<[K, [V | undefined, W]]> {
    return this.transformWith(other, (a, b) => a.rightOuterJoin(b, this.partitionsFor(numPartitions)));
  }

  /** Full outer join, batch by batch. */
  fullOuterJoin<K, V, W>(
    this: DStream<[K, V]>,
    other: DStream<[K, W]>,
    numPartitions?: PartitionsArg,
  ): DStream<[K, [V | undefined, W | undefined]]> {
    return this.transformWith(other, (a, b) => a.fullOuterJoin(b, this.partitionsFor(numPartitions)));
  }

  /** Cogroups each batch with `other`'s batch. */
  cogroup<K, V, W>(
    this: DStream<[K, V]>,
    other: DStream<[K, W]>,
    numPartitions?: PartitionsArg,
  ): DStream<[K, [V[], W[]]]> {
    return this.transformWith(other, (a, b) => a.cogroup(b, this.partitionsFor(numPartitions)));
  }

  /** Groups the values of each key over a sliding window. */
  groupByKeyAndWindow<K, V>(
    this: DStream<[K, V]>,
    windowDuration: number,
    slideDuration: number = this.slideDuration,
    numPartitions?: PartitionsArg,
  ): DStream<[K, V[]]> {
    const partitions = this.partitionsFor(numPartitions);
    return this.groupByKey(partitions)
      .window(windowDuration, slideDuration)
      .combineByKey(
        (vs: V[]) => [...vs],
        (acc: V[], vs: V[]) => acc.concat(vs),
        (a: V[], b: V[]) => a.concat(b),
        partitions,
      );
  }

  /**
   * Merges the values of each key over a sliding window. Without `invF`, each window is reduced afresh; with
   * `invF` (the inverse of `f`), incrementally: the new window is the previous one plus the batches entering,
   * minus those leaving. Keys whose value falls back to the reduce identity stay (as 0, say) unless
   * `filterFunc` drops them. The incremental form requires a checkpoint directory.
   */
  reduceByKeyAndWindow<K, V>(
    this: DStream<[K, V]>,
    f: (a: V, b: V) => V,
    windowDuration: number,
    slideDuration?: number,
    numPartitions?: PartitionsArg,
  ): DStream<[K, V]>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<[K, V]>,
    f: (a: V, b: V) => V,
    invF: (a: V, b: V) => V,
    windowDuration: number,
    slideDuration?: number,
    numPartitions?: PartitionsArg,
    filterFunc?: (pair: [K, V]) => boolean,
  ): DStream<[K, V]>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<[K, V]>,
    f: (a: V, b: V) => V,
    second: ((a: V, b: V) => V) | number,
    third?: number,
    fourth?: number | PartitionsArg,
    fifth?: PartitionsArg,
    filterFunc?: (pair: [K, V]) => boolean,
  ): DStream<[K, V]> {
    if (typeof second === 'number') {
      const windowDuration = second;
      const slideDuration = third ?? this.slideDuration;
      const partitions = this.partitionsFor(fourth as PartitionsArg | undefined);
      return this.reduceByKey(f, partitions).window(windowDuration, slideDuration).reduceByKey(f, partitions);
    }
    const windowDuration = third as number;
    const slideDuration = (fourth as number | undefined) ?? this.slideDuration;
    const partitioner = toPartitioner(this.partitionsFor(fifth));
    return StreamOperators.reducedWindowed<K, V>(
      this,
      f,
      second,
      filterFunc,
      windowDuration,
      slideDuration,
      partitioner,
    );
  }

  /**
   * Keeps a state per key across batches: on every batch, `updateFunc(newValues, previousState)` runs for every
   * key that has new values or a state; returning `undefined` removes the key. Requires a checkpoint directory.
   */
  updateStateByKey<K, V, S>(
    this: DStream<[K, V]>,
    updateFunc: (values: V[], state: S | undefined) => S | undefined,
    numPartitions?: PartitionsArg,
    initialRDD?: RDD<[K, S]>,
  ): DStream<[K, S]> {
    return StreamOperators.state<K, V, S>(
      this,
      updateFunc,
      toPartitioner(this.partitionsFor(numPartitions)),
      initialRDD,
    );
  }

  /**
   * Keeps a state per key with a mapping function called once per record (and once more when a key times out);
   * emits what the function returns. See {@link StateSpec}. Requires a checkpoint directory.
   */
  mapWithState<K, V, S, M>(this: DStream<[K, V]>, spec: StateSpec<K, V, S, M>): MapWithStateStream<K, S, M> {
    return StreamOperators.mapWithState<K, V, S, M>(this, spec);
  }

  /**
   * Event-time windows with a watermark (beyond Spark's DStreams): results per key and window are emitted once
   * the watermark passes the window's end; late records go to `lateRecords()` and are counted. Requires a
   * checkpoint directory.
   *
   * @example
   * ```ts
   * const perPath = events.eventTimeWindow({
   *   timestamp: (e) => e.tsMs, key: (e) => e.path,
   *   window: { kind: 'tumbling', sizeMs: 60_000 }, allowedLatenessMs: 10_000,
   *   aggregator: count(),
   * });
   * perPath.lateRecords().count().print();
   * ```
   */
  eventTimeWindow<K, S, O>(options: EventTimeWindowOptions<T, K, S, O>): EventTimeWindowStream<T, K, O> {
    return StreamOperators.eventTimeWindow<T, K, S, O>(this, options);
  }

  /** Default partitions for a pair operation: the argument, or the context's default parallelism. */
  protected partitionsFor(numPartitions: PartitionsArg | undefined): PartitionsArg {
    return numPartitions ?? this.ssc.dataflowContext.defaultParallelism;
  }
}

function toPartitioner(arg: PartitionsArg): Partitioner {
  return typeof arg === 'number' ? new HashPartitioner(arg) : arg;
}
