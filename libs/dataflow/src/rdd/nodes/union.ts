/** `UnionRDD`: the partitions of several RDDs one after another; no data moves. */
import type { Partitioner } from '../../partitioner.ts';
import type { TaskContext } from '../../scheduler/task-context.ts';
import type { LineageNode, NarrowInput, NodeDescription, ShuffleDependency } from '../lineage.ts';
import type { RDD } from '../rdd.ts';

export class UnionNode<T> implements LineageNode<T> {
  readonly className = 'UnionRDD';
  readonly operator = 'union';
  readonly numPartitions: number;
  readonly partitioner: Partitioner | undefined = undefined;
  readonly narrowParents: readonly RDD<unknown>[];
  readonly shuffleDependencies: readonly ShuffleDependency[] = [];
  /** For each output partition: [parent index, parent partition]. */
  private readonly mapping: Array<[number, number]>;

  constructor(parents: readonly RDD<unknown>[]) {
    this.narrowParents = parents;
    this.mapping = parents.flatMap((parent, parentIndex) =>
      Array.from({ length: parent.getNumPartitions() }, (_, p): [number, number] => [parentIndex, p]),
    );
    this.numPartitions = this.mapping.length;
  }

  narrowInputs(partition: number): NarrowInput[] {
    const [parentIndex, parentPartition] = this.mapping[partition] ?? [0, 0];
    return [{ parentIndex, partition: parentPartition }];
  }

  compute(partition: number, context: TaskContext): Iterable<T> {
    const [input] = this.narrowInputs(partition);
    const parent = this.narrowParents[input?.parentIndex ?? 0] as RDD<T>;
    return parent.iterator(input?.partition ?? 0, context);
  }

  describe(): NodeDescription {
    return { type: 'union', params: {}, functions: [] };
  }
}
