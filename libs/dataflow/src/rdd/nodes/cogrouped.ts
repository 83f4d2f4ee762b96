/**
 * `CoGroupedRDD`: for every key present in any parent, the values each parent has for it,
 * `[k, [values of parent 0, values of parent 1, …]]`. Each parent is shuffled by the same partitioner.
 */
import { KeyMap } from '../../keys/key-map.ts';
import type { Partitioner } from '../../partitioner.ts';
import type { TaskContext } from '../../scheduler/task-context.ts';
import { readShuffleRecords } from '../../shuffle/shuffle-io.ts';
import type { LineageNode, NarrowInput, NodeDescription, ShuffleDependency } from '../lineage.ts';
import type { RDD } from '../rdd.ts';

/** How a cogroup is made: one shuffle id per parent, in parent order. */
export interface CoGroupedSpec {
  shuffleIds: number[];
  partitioner: Partitioner;
}

export class CoGroupedNode<K> implements LineageNode<[K, unknown[][]]> {
  readonly className = 'CoGroupedRDD';
  readonly operator = 'cogroup';
  readonly numPartitions: number;
  readonly partitioner: Partitioner;
  readonly narrowParents: readonly RDD<unknown>[] = [];
  readonly shuffleDependencies: readonly ShuffleDependency[];
  readonly shuffleIds: readonly number[];

  /** `parents` is empty when a worker rebuilds the step. */
  constructor(parents: readonly RDD<[unknown, unknown]>[], spec: CoGroupedSpec) {
    this.partitioner = spec.partitioner;
    this.numPartitions = spec.partitioner.numPartitions;
    this.shuffleIds = spec.shuffleIds;
    this.shuffleDependencies = parents.map((rdd, i) => ({
      shuffleId: spec.shuffleIds[i] ?? -1,
      rdd,
      partitioner: spec.partitioner,
      combiner: undefined,
    }));
  }

  narrowInputs(): NarrowInput[] {
    return [];
  }

  compute(partition: number, context: TaskContext): Iterable<[K, unknown[][]]> {
    const groups = new KeyMap<K, unknown[][]>();
    const width = this.shuffleIds.length;
    this.shuffleIds.forEach((shuffleId, side) => {
      for (const [key, value] of readShuffleRecords<[K, unknown]>(
        context.shuffleBlocks(shuffleId, partition),
      )) {
        let group = groups.get(key);
        if (!group) {
          group = Array.from({ length: width }, () => []);
          groups.set(key, group);
        }
        group[side]?.push(value);
      }
    });
    return groups.entries();
  }

  describe(): NodeDescription {
    return {
      type: 'cogrouped',
      params: { shuffleIds: [...this.shuffleIds], partitioner: this.partitioner.describe() },
      functions: [],
    };
  }
}
