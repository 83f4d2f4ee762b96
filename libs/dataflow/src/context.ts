/**
 * `DataflowContext`: the entry point of the RDD engine (Spark's `SparkContext`). It makes RDDs from data, owns
 * the scheduler, the shuffle store, the cache and the worker threads, and stops them all on `stop()`.
 */
import { availableParallelism } from 'node:os';
import { requireArgument } from './errors.ts';
import type { JobDefinition, JobInstance, RddFactory } from './jobs/job-definition.ts';
import type { Partitioner } from './partitioner.ts';
import { ParallelCollectionNode } from './rdd/nodes/parallel-collection.ts';
import { RangeNode } from './rdd/nodes/range.ts';
import { type PartitionSource, SourceNode } from './rdd/nodes/source.ts';
import { UnionNode } from './rdd/nodes/union.ts';
import type { PartitionsArg } from './rdd/rdd.ts';
import { RDD } from './rdd/rdd.ts';
import type { RddHost } from './rdd/rdd-host.ts';
import {
  contextStopped,
  DagScheduler,
  nestedAction,
  type SchedulerStats,
} from './scheduler/dag-scheduler.ts';
import type { ResultAction } from './scheduler/result-actions.ts';
import { currentTaskContext } from './scheduler/task-context.ts';
import { WorkerPool } from './scheduler/worker-pool.ts';
import { Broadcast, LongAccumulator } from './shared-variables.ts';
import { ShuffleStore, type ShuffleStoreStats } from './shuffle/shuffle-store.ts';

/** Options of a {@link DataflowContext}. */
export interface DataflowContextOptions {
  /** Worker threads for tasks; 1 runs everything in-process. Default: the number of cores. */
  parallelism?: number;
  /** Bytes of shuffle blocks kept in memory before spilling to disk. Default: 256 MiB. */
  shuffleMemoryBytes?: number;
  /** An application name, for logs. */
  appName?: string;
  /** Told why a stage runs on the driver although parallelism is above 1 (its functions capture state). */
  onInProcessStage?: (reason: string) => void;
}

const DEFAULT_SHUFFLE_MEMORY = 256 * 1024 * 1024;

/**
 * The engine's entry point.
 *
 * @example
 * ```ts
 * const ctx = new DataflowContext({ parallelism: 2 });
 * const total = await ctx.parallelize([1, 2, 3, 4], 2).map((x) => x * x).sum(); // 30
 * await ctx.stop();
 * ```
 */
export class DataflowContext implements RddHost, RddFactory {
  readonly defaultParallelism: number;
  readonly appName: string;
  private readonly scheduler: DagScheduler;
  private readonly shuffleStore: ShuffleStore;
  private readonly cache = new Map<number, Map<number, readonly unknown[]>>();
  private readonly accumulators = new Map<number, WeakRef<LongAccumulator>>();
  private readonly shuffleCleaner = new FinalizationRegistry<number>((shuffleId) => {
    this.shuffleStore.remove(shuffleId);
  });
  private readonly jobMembers = new Map<number, JobInstance>();
  private building: JobInstance | undefined;
  private nextJobInstance = 0;
  private pool: WorkerPool | undefined;
  private nextRdd = 0;
  private nextShuffle = 0;
  private nextShared = 0;
  private stopped = false;

  constructor(options: DataflowContextOptions = {}) {
    const parallelism = options.parallelism ?? availableParallelism();
    requireArgument(
      Number.isInteger(parallelism) && parallelism >= 1,
      `parallelism must be a positive integer, got ${parallelism}`,
    );
    this.defaultParallelism = parallelism;
    this.appName = options.appName ?? 'oxbow';
    this.shuffleStore = new ShuffleStore(options.shuffleMemoryBytes ?? DEFAULT_SHUFFLE_MEMORY);
    this.scheduler = new DagScheduler({
      shuffles: this.shuffleStore,
      workers: () => this.workers(),
      cachedPartition: (rddId, partition) => this.cache.get(rddId)?.get(partition),
      storeCachedPartition: (rddId, partition, data) => {
        const partitions = this.cache.get(rddId) ?? new Map<number, readonly unknown[]>();
        this.cache.set(rddId, partitions);
        partitions.set(partition, data);
      },
      addToAccumulator: (id, delta) => this.accumulators.get(id)?.deref()?.merge(delta),
      ...(options.onInProcessStage ? { onInProcessStage: options.onInProcessStage } : {}),
    });
  }

  /** Whether `stop()` was called. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Counts of jobs, stages and where tasks ran. */
  get schedulerStats(): Readonly<SchedulerStats> {
    return this.scheduler.stats;
  }

  /** Bytes of shuffle data in memory and spilled. */
  get shuffleStats(): Readonly<ShuffleStoreStats> {
    return this.shuffleStore.stats;
  }

  /**
   * Distributes a local array as an RDD of `numSlices` partitions (default: the parallelism). Slice i holds
   * elements ⌊i·n/numSlices⌋ … ⌊(i+1)·n/numSlices⌋ − 1.
   */
  parallelize<T>(data: readonly T[], numSlices: number = this.defaultParallelism): RDD<T> {
    this.assertRunning();
    requireArgument(
      Number.isInteger(numSlices) && numSlices >= 1,
      `Positive number of partitions required, got numSlices = ${numSlices}`,
    );
    return new RDD<T>(this, ParallelCollectionNode.fromArray<T>(data, numSlices));
  }

  /**
   * An RDD with exactly the given partitions (no slicing), optionally declared as partitioned by `partitioner`
   * (the caller guarantees every key sits in its partition). Used to materialize state and restore checkpoints.
   */
  fromPartitions<T>(partitions: readonly (readonly T[])[], partitioner?: Partitioner): RDD<T> {
    this.assertRunning();
    requireArgument(partitions.length >= 1, 'fromPartitions needs at least one partition');
    requireArgument(
      !partitioner || partitioner.numPartitions === partitions.length,
      `partitioner has ${partitioner?.numPartitions} partitions, data has ${partitions.length}`,
    );
    return new RDD<T>(this, ParallelCollectionNode.fromPartitions<T>(partitions, partitioner));
  }

  /**
   * An RDD read from an asynchronous partitioned source (files, objects) inside the tasks. Its tasks run on worker
   * threads when the RDD is built inside a job module (`defineJob`), on the driver otherwise.
   */
  fromSource<T>(source: PartitionSource<T>): RDD<T> {
    this.assertRunning();
    return new RDD<T>(this, new SourceNode<T>(source));
  }

  /** Same as {@link parallelize}. */
  makeRDD<T>(data: readonly T[], numSlices: number = this.defaultParallelism): RDD<T> {
    return this.parallelize(data, numSlices);
  }

  /** An RDD with no elements (one empty partition). */
  emptyRDD<T>(): RDD<T> {
    this.assertRunning();
    // The same lineage as a job module's rebuild in a worker (job-replay.ts), so ids line up.
    return this.parallelize<T>([], 1).filter(() => false);
  }

  /** The union of several RDDs (partitions one after another). */
  union<T>(rdds: readonly RDD<T>[]): RDD<T> {
    this.assertRunning();
    requireArgument(rdds.length > 0, 'union needs at least one RDD');
    return new RDD<T>(this, new UnionNode<T>(rdds as readonly RDD<unknown>[]));
  }

  /** Numbers from `start` (inclusive) to `end` (exclusive) by `step`, computed in the tasks. */
  range(start: number, end: number, step = 1, numSlices: number = this.defaultParallelism): RDD<number> {
    this.assertRunning();
    requireArgument(step !== 0, 'step cannot be 0');
    requireArgument(
      Number.isInteger(numSlices) && numSlices >= 1,
      `Positive number of partitions required, got numSlices = ${numSlices}`,
    );
    return new RDD<number>(this, new RangeNode({ start, end, step, numSlices }));
  }

  /** A read-only value for tasks. */
  broadcast<T>(value: T): Broadcast<T> {
    this.assertRunning();
    return new Broadcast<T>(this.newSharedId(), value);
  }

  /** A counter tasks add to. */
  longAccumulator(name?: string): LongAccumulator {
    this.assertRunning();
    const accumulator = new LongAccumulator(this.newSharedId(), name);
    this.accumulators.set(accumulator.id, new WeakRef(accumulator));
    return accumulator;
  }

  /**
   * Builds a job defined with {@link defineJob}. Its tasks can run on worker threads even when its functions
   * capture variables: each worker imports the job's module and rebuilds the same lineage from `input`.
   */
  job<I, R>(definition: JobDefinition<I, R>, input: I): R {
    this.assertRunning();
    requireArgument(this.building === undefined, 'a job builder cannot build another job');
    const instance: JobInstance = {
      instanceId: this.nextJobInstance++,
      moduleUrl: definition.moduleUrl,
      exportName: definition.exportName,
      input,
      rddIds: [],
      shuffleIds: [],
      sharedIds: [],
    };
    this.building = instance;
    try {
      return definition.build(this, input);
    } finally {
      this.building = undefined;
      for (const rddId of instance.rddIds) this.jobMembers.set(rddId, instance);
    }
  }

  /** Stops the workers and frees shuffle and cache memory; later actions fail. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.pool?.close();
    this.pool = undefined;
    this.shuffleStore.close();
    this.cache.clear();
  }

  // ---- RddHost (used by RDDs, not by applications)

  newRddId(): number {
    const id = this.nextRdd++;
    this.building?.rddIds.push(id);
    return id;
  }

  newShuffleId(): number {
    const id = this.nextShuffle++;
    this.building?.shuffleIds.push(id);
    return id;
  }

  jobOf(rddId: number): JobInstance | undefined {
    return this.jobMembers.get(rddId);
  }

  private newSharedId(): number {
    const id = this.nextShared++;
    this.building?.sharedIds.push(id);
    return id;
  }

  trackShuffle(shuffleId: number, owner: object): void {
    this.shuffleCleaner.register(owner, shuffleId);
  }

  runJob(rdd: RDD<unknown>, action: ResultAction, partitions?: readonly number[]): Promise<unknown[]> {
    if (this.stopped) return Promise.reject(contextStopped());
    if (currentTaskContext()) return Promise.reject(nestedAction());
    return this.scheduler.runJob(rdd, action, partitions);
  }

  uncache(rddId: number): void {
    this.cache.delete(rddId);
  }

  hasCachedPartition(rddId: number, partition: number): boolean {
    return this.cache.get(rddId)?.has(partition) ?? false;
  }

  private workers(): WorkerPool | undefined {
    if (this.defaultParallelism <= 1 || this.stopped) return undefined;
    this.pool ??= new WorkerPool(this.defaultParallelism);
    return this.pool;
  }

  private assertRunning(): void {
    if (this.stopped) throw contextStopped();
  }
}

export type { PartitionsArg };
