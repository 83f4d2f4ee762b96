/** `ZippedPartitionsRDD2`: `zip` pairs the i-th elements of two RDDs with the same partitioning. */
import { DataflowError } from '../../errors.ts';
import type { Partitioner } from '../../partitioner.ts';
import type { TaskContext } from '../../scheduler/task-context.ts';
import type { LineageNode, NarrowInput, NodeDescription, ShuffleDependency } from '../lineage.ts';
import type { RDD } from '../rdd.ts';

export class ZippedPartitionsNode<A, B> implements LineageNode<[A, B]> {
  readonly className = 'ZippedPartitionsRDD2';
  readonly operator = 'zip';
  readonly numPartitions: number;
  readonly partitioner: Partitioner | undefined = undefined;
  readonly narrowParents: readonly RDD<unknown>[];
  readonly shuffleDependencies: readonly ShuffleDependency[] = [];

  constructor(left: RDD<unknown>, right: RDD<unknown>) {
    if (left.getNumPartitions() !== right.getNumPartitions()) {
      throw new DataflowError(
        'OXBOW_PARTITION_MISMATCH',
        `Can't zip RDDs with unequal numbers of partitions: ${left.getNumPartitions()} and ${right.getNumPartitions()}`,
      );
    }
    this.narrowParents = [left, right];
    this.numPartitions = left.getNumPartitions();
  }

  narrowInputs(partition: number): NarrowInput[] {
    return [
      { parentIndex: 0, partition },
      { parentIndex: 1, partition },
    ];
  }

  *compute(partition: number, context: TaskContext): Iterable<[A, B]> {
    const left = (this.narrowParents[0] as RDD<A>).iterator(partition, context)[Symbol.iterator]();
    const right = (this.narrowParents[1] as RDD<B>).iterator(partition, context)[Symbol.iterator]();
    for (;;) {
      const a = left.next();
      const b = right.next();
      if (a.done && b.done) return;
      if (a.done || b.done) {
        throw new DataflowError(
          'OXBOW_PARTITION_MISMATCH',
          `Can only zip RDDs with same number of elements in each partition (partition ${partition} differs)`,
        );
      }
      yield [a.value, b.value];
    }
  }

  describe(): NodeDescription {
    return { type: 'zippedPartitions', params: {}, functions: [] };
  }
}
