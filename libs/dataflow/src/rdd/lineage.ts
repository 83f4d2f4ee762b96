/**
 * The shape every step of an RDD's lineage has: how many partitions it has, what it depends on, how it computes
 * one partition, and how it is described so a worker can rebuild it.
 */
import type { Partitioner } from '../partitioner.ts';
import type { TaskContext } from '../scheduler/task-context.ts';
import type { Combiner } from '../shuffle/combiner.ts';
import type { RDD } from './rdd.ts';

// biome-ignore lint/complexity/noBannedTypes: user functions of any arity are carried here.
export type UserFunction = Function;

/** One partition of a parent that a narrow dependency reads. */
export interface NarrowInput {
  readonly parentIndex: number;
  readonly partition: number;
}

/** A shuffle boundary: the map side runs over `rdd`, the reduce side reads blocks by `shuffleId`. */
export interface ShuffleDependency {
  readonly shuffleId: number;
  readonly rdd: RDD<[unknown, unknown]>;
  readonly partitioner: Partitioner;
  readonly combiner: Combiner<unknown, unknown> | undefined;
}

/** A lineage step described as data plus user functions, rebuilt in a worker by its `type`. */
export interface NodeDescription {
  readonly type: string;
  readonly params: unknown;
  readonly functions: readonly UserFunction[];
}

/** One step of lineage. */
export interface LineageNode<T> {
  /** Spark's class name for this step, e.g. `MapPartitionsRDD`, shown by `toDebugString`. */
  readonly className: string;
  /** The operator that made this step, e.g. `map`, named in errors. */
  readonly operator: string;
  readonly numPartitions: number;
  readonly partitioner: Partitioner | undefined;
  /** Parents reached without a shuffle, in order. */
  readonly narrowParents: readonly RDD<unknown>[];
  /** Shuffles this step reads (empty for narrow steps, and in a worker, which only reads their blocks). */
  readonly shuffleDependencies: readonly ShuffleDependency[];
  /** Ids of the shuffles whose blocks `compute` reads (shuffled and cogrouped steps only). */
  readonly shuffleIds?: readonly number[];
  /** Which parent partitions computing `partition` reads. */
  narrowInputs(partition: number): NarrowInput[];
  /** Computes one partition. */
  compute(partition: number, context: TaskContext): Iterable<T>;
  /** Describes the step for shipping to a worker; `partitions` says which of its partitions the task reads. */
  describe(partitions: ReadonlySet<number>): NodeDescription;
  /** False for steps that cannot be described for a worker (asynchronous sources outside job modules). */
  readonly shippable?: boolean;
  /** Reads a partition asynchronously before the task computes it (sources only). */
  load?(partition: number): Promise<void>;
  /** Frees what `load` read, after the task. */
  unload?(partition: number): void;
  /** Resolves values that need a job of their own (range bounds, zipWithIndex offsets) before scheduling. */
  prepare?(): Promise<void>;
}
