/**
 * `ShuffledRDD`: the reduce side of a shuffle. Records of the parent are bucketed by a partitioner on the map
 * side; this step reads its bucket from every map task, merges values of a key with a combiner when there is one,
 * and sorts by key for `sortByKey`.
 */
import type { Partitioner } from '../../partitioner.ts';
import type { TaskContext } from '../../scheduler/task-context.ts';
import type { Combiner } from '../../shuffle/combiner.ts';
import { combineByKeyOnReduceSide, readShuffleRecords } from '../../shuffle/shuffle-io.ts';
import type { LineageNode, NarrowInput, NodeDescription, ShuffleDependency } from '../lineage.ts';
import { NARROW_KERNELS } from '../narrow-operators.ts';
import type { RDD } from '../rdd.ts';

/** How a shuffled step is made. */
export interface ShuffledSpec {
  operator: string;
  shuffleId: number;
  numPartitions: number;
  /** The partitioner, or a function that computes it before the job runs (range bounds need a sample job). */
  partitioner: Partitioner | (() => Promise<Partitioner>);
  combiner: Combiner<unknown, unknown> | undefined;
  /** Sort each partition by key (sortByKey). */
  sortAscending: boolean | undefined;
}

export class ShuffledNode<K, C> implements LineageNode<[K, C]> {
  readonly className = 'ShuffledRDD';
  readonly operator: string;
  readonly numPartitions: number;
  readonly narrowParents: readonly RDD<unknown>[] = [];
  private readonly parent: RDD<[unknown, unknown]> | undefined;
  private readonly spec: ShuffledSpec;
  private resolved: Partitioner | undefined;

  /** `parent` is undefined when a worker rebuilds the step: it only reads shuffle blocks. */
  constructor(parent: RDD<[unknown, unknown]> | undefined, spec: ShuffledSpec) {
    this.parent = parent;
    this.spec = spec;
    this.operator = spec.operator;
    this.numPartitions = spec.numPartitions;
    if (typeof spec.partitioner !== 'function') this.resolved = spec.partitioner;
  }

  /** How values of a key are combined across this shuffle, if they are. */
  get combiner(): Combiner<unknown, unknown> | undefined {
    return this.spec.combiner;
  }

  get shuffleIds(): readonly number[] {
    return [this.spec.shuffleId];
  }

  get partitioner(): Partitioner | undefined {
    return this.resolved;
  }

  get shuffleDependencies(): readonly ShuffleDependency[] {
    if (!this.parent) return [];
    if (!this.resolved)
      throw new Error(`the partitioner of shuffle ${this.spec.shuffleId} is not prepared yet`);
    return [
      {
        shuffleId: this.spec.shuffleId,
        rdd: this.parent,
        partitioner: this.resolved,
        combiner: this.spec.combiner,
      },
    ];
  }

  async prepare(): Promise<void> {
    if (!this.resolved && typeof this.spec.partitioner === 'function')
      this.resolved = await this.spec.partitioner();
  }

  narrowInputs(): NarrowInput[] {
    return [];
  }

  compute(partition: number, context: TaskContext): Iterable<[K, C]> {
    const records = readShuffleRecords<[unknown, unknown]>(
      context.shuffleBlocks(this.spec.shuffleId, partition),
    );
    const merged = this.spec.combiner
      ? combineByKeyOnReduceSide(records, this.spec.combiner).entries()
      : records;
    if (this.spec.sortAscending === undefined) return merged as Iterable<[K, C]>;
    const sort = NARROW_KERNELS.sortPartitionByKey;
    return sort?.(merged, partition, [], { ascending: this.spec.sortAscending }) as Iterable<[K, C]>;
  }

  describe(): NodeDescription {
    const { combiner, partitioner: _partitioner, ...rest } = this.spec;
    return {
      type: 'shuffled',
      params: {
        ...rest,
        partitioner: this.resolved?.describe(),
        combiner: combiner?.description,
      },
      functions: combiner?.functions ?? [],
    };
  }
}
