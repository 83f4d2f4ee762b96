/** `ParallelCollectionRDD`: a driver-side array cut into slices, as `parallelize` makes it. */
import {
  type Partitioner,
  type PartitionerDescription,
  partitionerFromDescription,
} from '../../partitioner.ts';
import type { LineageNode, NarrowInput, NodeDescription, ShuffleDependency } from '../lineage.ts';
import type { RDD } from '../rdd.ts';

/**
 * Cuts `data` into `numSlices` slices the way Spark does: slice i holds elements ⌊i·n/numSlices⌋ up to
 * ⌊(i+1)·n/numSlices⌋.
 */
export function sliceArray<T>(data: readonly T[], numSlices: number): T[][] {
  const n = data.length;
  return Array.from({ length: numSlices }, (_, i) =>
    data.slice(Math.floor((i * n) / numSlices), Math.floor(((i + 1) * n) / numSlices)),
  );
}

/** Parameters of a parallel collection: slices, where only the ones a task needs are present. */
export interface ParallelCollectionParams {
  numSlices: number;
  slices: Record<number, unknown[]>;
  /** Set when the slices are already partitioned by key (a materialized or restored pair RDD). */
  partitioner?: PartitionerDescription;
}

export class ParallelCollectionNode<T> implements LineageNode<T> {
  readonly className = 'ParallelCollectionRDD';
  readonly operator = 'parallelize';
  readonly numPartitions: number;
  readonly partitioner: Partitioner | undefined;
  readonly narrowParents: readonly RDD<unknown>[] = [];
  readonly shuffleDependencies: readonly ShuffleDependency[] = [];
  private readonly slices: Record<number, unknown[]>;

  constructor(params: ParallelCollectionParams) {
    this.numPartitions = params.numSlices;
    this.slices = params.slices;
    this.partitioner = params.partitioner ? partitionerFromDescription(params.partitioner) : undefined;
  }

  static fromArray<T>(data: readonly T[], numSlices: number): ParallelCollectionNode<T> {
    const slices: Record<number, unknown[]> = {};
    sliceArray(data, numSlices).forEach((slice, i) => {
      slices[i] = slice;
    });
    return new ParallelCollectionNode<T>({ numSlices, slices });
  }

  /** A collection whose partitions are given as they are, optionally known to be partitioned by key. */
  static fromPartitions<T>(
    partitions: readonly (readonly T[])[],
    partitioner?: Partitioner,
  ): ParallelCollectionNode<T> {
    const slices: Record<number, unknown[]> = {};
    partitions.forEach((slice, i) => {
      slices[i] = slice as unknown[];
    });
    return new ParallelCollectionNode<T>({
      numSlices: partitions.length,
      slices,
      ...(partitioner ? { partitioner: partitioner.describe() } : {}),
    });
  }

  narrowInputs(): NarrowInput[] {
    return [];
  }

  compute(partition: number): Iterable<T> {
    const slice = this.slices[partition];
    if (!slice) throw new Error(`slice ${partition} of a parallel collection was not shipped with the task`);
    return slice as T[];
  }

  describe(partitions: ReadonlySet<number>): NodeDescription {
    const slices: Record<number, unknown[]> = {};
    for (const p of partitions) slices[p] = this.slices[p] ?? [];
    const params: ParallelCollectionParams = { numSlices: this.numPartitions, slices };
    if (this.partitioner) params.partitioner = this.partitioner.describe();
    return { type: 'parallelCollection', params, functions: [] };
  }
}
