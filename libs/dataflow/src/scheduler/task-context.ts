/**
 * What a running task can see of its surroundings: which partition it computes, the shuffle blocks it reads,
 * the cached partitions it may reuse, and where it reports accumulator updates. The driver and the workers
 * each provide their own implementation.
 */

/** The environment of one task attempt. */
export interface TaskContext {
  readonly stageId: number;
  readonly partitionId: number;
  /** Serialized shuffle blocks written for `reducePartition` by every map task of the shuffle. */
  shuffleBlocks(shuffleId: number, reducePartition: number): Iterable<Uint8Array>;
  /** A cached partition of an RDD, when the driver holds it. */
  cachedPartition(rddId: number, partition: number): readonly unknown[] | undefined;
  /** Offers a freshly computed partition of a cached RDD to the cache. */
  offerCachedPartition(rddId: number, partition: number, data: readonly unknown[]): void;
  /** Adds `delta` to the accumulator `accumulatorId` on behalf of this task. */
  addToAccumulator(accumulatorId: number, delta: number): void;
}

let current: TaskContext | undefined;

/** The context of the task running on this thread right now, if any (like Spark's `TaskContext.get()`). */
export function currentTaskContext(): TaskContext | undefined {
  return current;
}

/** Runs `body` with `context` as the current task context. */
export function withTaskContext<R>(context: TaskContext, body: () => R): R {
  const previous = current;
  current = context;
  try {
    return body();
  } finally {
    current = previous;
  }
}
