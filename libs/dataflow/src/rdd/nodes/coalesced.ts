/** `CoalescedRDD`: fewer partitions, each the concatenation of a run of consecutive parent partitions. */
import type { Partitioner } from '../../partitioner.ts';
import type { TaskContext } from '../../scheduler/task-context.ts';
import type { LineageNode, NarrowInput, NodeDescription, ShuffleDependency } from '../lineage.ts';
import type { RDD } from '../rdd.ts';

export class CoalescedNode<T> implements LineageNode<T> {
  readonly className = 'CoalescedRDD';
  readonly operator = 'coalesce';
  readonly numPartitions: number;
  readonly partitioner: Partitioner | undefined = undefined;
  readonly narrowParents: readonly RDD<unknown>[];
  readonly shuffleDependencies: readonly ShuffleDependency[] = [];
  private readonly parentPartitions: number;

  constructor(parent: RDD<unknown>, params: { numPartitions: number }) {
    this.narrowParents = [parent];
    this.parentPartitions = parent.getNumPartitions();
    this.numPartitions = Math.min(params.numPartitions, this.parentPartitions);
  }

  narrowInputs(partition: number): NarrowInput[] {
    const from = Math.floor((partition * this.parentPartitions) / this.numPartitions);
    const to = Math.floor(((partition + 1) * this.parentPartitions) / this.numPartitions);
    return Array.from({ length: to - from }, (_, i) => ({ parentIndex: 0, partition: from + i }));
  }

  *compute(partition: number, context: TaskContext): Iterable<T> {
    const parent = this.narrowParents[0] as RDD<T>;
    for (const input of this.narrowInputs(partition)) yield* parent.iterator(input.partition, context);
  }

  describe(): NodeDescription {
    return { type: 'coalesced', params: { numPartitions: this.numPartitions }, functions: [] };
  }
}
