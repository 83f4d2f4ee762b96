/** `CartesianRDD`: every pair of elements; partition i·m + j pairs partition i of the left with j of the right. */
import type { Partitioner } from '../../partitioner.ts';
import type { TaskContext } from '../../scheduler/task-context.ts';
import type { LineageNode, NarrowInput, NodeDescription, ShuffleDependency } from '../lineage.ts';
import type { RDD } from '../rdd.ts';

export class CartesianNode<A, B> implements LineageNode<[A, B]> {
  readonly className = 'CartesianRDD';
  readonly operator = 'cartesian';
  readonly numPartitions: number;
  readonly partitioner: Partitioner | undefined = undefined;
  readonly narrowParents: readonly RDD<unknown>[];
  readonly shuffleDependencies: readonly ShuffleDependency[] = [];
  private readonly rightPartitions: number;

  constructor(left: RDD<unknown>, right: RDD<unknown>) {
    this.narrowParents = [left, right];
    this.rightPartitions = right.getNumPartitions();
    this.numPartitions = left.getNumPartitions() * this.rightPartitions;
  }

  narrowInputs(partition: number): NarrowInput[] {
    return [
      { parentIndex: 0, partition: Math.floor(partition / this.rightPartitions) },
      { parentIndex: 1, partition: partition % this.rightPartitions },
    ];
  }

  *compute(partition: number, context: TaskContext): Iterable<[A, B]> {
    const [leftInput, rightInput] = this.narrowInputs(partition);
    const rightValues = [...(this.narrowParents[1] as RDD<B>).iterator(rightInput?.partition ?? 0, context)];
    for (const a of (this.narrowParents[0] as RDD<A>).iterator(leftInput?.partition ?? 0, context)) {
      for (const b of rightValues) yield [a, b];
    }
  }

  describe(): NodeDescription {
    return { type: 'cartesian', params: { rightPartitions: this.rightPartitions }, functions: [] };
  }
}
