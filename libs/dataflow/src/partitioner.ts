/**
 * Partitioners decide which reduce partition a key goes to: hash partitioning by the keys' hash codes, and
 * range partitioning (for `sortByKey`) by sampled bounds in the keys' natural order.
 */
import { requireArgument } from './errors.ts';
import { hashCode, nonNegativeMod } from './keys/java-hash.ts';
import { naturalCompare } from './keys/ordering.ts';

/** A serializable description of a partitioner, used to rebuild it in a worker. */
export type PartitionerDescription =
  | { kind: 'hash'; numPartitions: number }
  | { kind: 'range'; bounds: unknown[]; ascending: boolean; numPartitions: number };

/** Maps keys to partitions `0 … numPartitions-1`. */
export interface Partitioner {
  readonly numPartitions: number;
  getPartition(key: unknown): number;
  /** Whether both partitioners place every key in the same partition. */
  equals(other: Partitioner | undefined): boolean;
  describe(): PartitionerDescription;
}

/**
 * Spark's `HashPartitioner`: partition = hashCode(key) mod n. String, int and boolean keys land where Spark
 * puts them.
 */
export class HashPartitioner implements Partitioner {
  readonly numPartitions: number;

  constructor(numPartitions: number) {
    requireArgument(
      Number.isInteger(numPartitions) && numPartitions > 0,
      `Number of partitions (${numPartitions}) must be a positive integer`,
    );
    this.numPartitions = numPartitions;
  }

  getPartition(key: unknown): number {
    return nonNegativeMod(hashCode(key), this.numPartitions);
  }

  equals(other: Partitioner | undefined): boolean {
    return other instanceof HashPartitioner && other.numPartitions === this.numPartitions;
  }

  describe(): PartitionerDescription {
    return { kind: 'hash', numPartitions: this.numPartitions };
  }
}

/**
 * Spark's `RangePartitioner`: `bounds` are the upper bounds (inclusive) of every partition but the last, in the
 * keys' natural order; with `ascending = false` the partitions are numbered from the largest keys down.
 */
export class RangePartitioner implements Partitioner {
  readonly numPartitions: number;
  readonly bounds: readonly unknown[];
  readonly ascending: boolean;

  constructor(bounds: readonly unknown[], ascending: boolean, numPartitions = bounds.length + 1) {
    requireArgument(numPartitions > bounds.length, 'a range partitioner needs more partitions than bounds');
    this.bounds = bounds;
    this.ascending = ascending;
    this.numPartitions = numPartitions;
  }

  getPartition(key: unknown): number {
    // Binary search for the first bound >= key.
    let low = 0;
    let high = this.bounds.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (naturalCompare(this.bounds[mid], key) < 0) low = mid + 1;
      else high = mid;
    }
    return this.ascending ? low : this.numPartitions - 1 - low;
  }

  equals(other: Partitioner | undefined): boolean {
    return (
      other instanceof RangePartitioner &&
      other.ascending === this.ascending &&
      other.numPartitions === this.numPartitions &&
      other.bounds.length === this.bounds.length &&
      other.bounds.every((bound, i) => naturalCompare(bound, this.bounds[i]) === 0)
    );
  }

  describe(): PartitionerDescription {
    return {
      kind: 'range',
      bounds: [...this.bounds],
      ascending: this.ascending,
      numPartitions: this.numPartitions,
    };
  }

  /**
   * Chooses bounds for `partitions` ranges from a sample of keys, each sample weighted by how many keys it
   * stands for, so the ranges hold about equal numbers of keys.
   */
  static fromWeightedSample(
    sample: ReadonlyArray<readonly [key: unknown, weight: number]>,
    partitions: number,
    ascending: boolean,
  ): RangePartitioner {
    const sorted = [...sample].sort((a, b) => naturalCompare(a[0], b[0]));
    const totalWeight = sorted.reduce((sum, [, weight]) => sum + weight, 0);
    const step = totalWeight / partitions;
    const bounds: unknown[] = [];
    let cumulative = 0;
    let target = step;
    let previous: unknown;
    let hasPrevious = false;
    for (const [key, weight] of sorted) {
      cumulative += weight;
      if (cumulative >= target && bounds.length < partitions - 1) {
        if (!hasPrevious || naturalCompare(key, previous) > 0) {
          bounds.push(key);
          previous = key;
          hasPrevious = true;
          target += step;
        }
      }
    }
    return new RangePartitioner(bounds, ascending, partitions);
  }
}

/** Rebuilds a partitioner from its description. */
export function partitionerFromDescription(description: PartitionerDescription): Partitioner {
  return description.kind === 'hash'
    ? new HashPartitioner(description.numPartitions)
    : new RangePartitioner(description.bounds, description.ascending, description.numPartitions);
}
