/** `MapPartitionsRDD`: a narrow transformation of one parent, partition by partition, by a named kernel. */
import type { Partitioner } from '../../partitioner.ts';
import type { TaskContext } from '../../scheduler/task-context.ts';
import type {
  LineageNode,
  NarrowInput,
  NodeDescription,
  ShuffleDependency,
  UserFunction,
} from '../lineage.ts';
import { NARROW_KERNELS, type NarrowKernel } from '../narrow-operators.ts';
import type { RDD } from '../rdd.ts';

/** What a map-partitions step applies: a kernel name, its user functions and plain parameters. */
export interface MapPartitionsSpec {
  /** The kernel in {@link NARROW_KERNELS}. */
  kernel: string;
  /** The public operator name, for errors and debug strings (defaults to the kernel name). */
  operator?: string;
  functions?: readonly UserFunction[];
  params?: Record<string, unknown>;
  /** Whether the parent's partitioner still holds (mapValues, filter, …). */
  preservesPartitioning?: boolean;
}

export class MapPartitionsNode<T> implements LineageNode<T> {
  readonly className = 'MapPartitionsRDD';
  readonly operator: string;
  readonly numPartitions: number;
  readonly partitioner: Partitioner | undefined;
  readonly narrowParents: readonly RDD<unknown>[];
  readonly shuffleDependencies: readonly ShuffleDependency[] = [];
  private readonly kernel: NarrowKernel;
  private readonly spec: MapPartitionsSpec;

  constructor(parent: RDD<unknown>, spec: MapPartitionsSpec) {
    const kernel = NARROW_KERNELS[spec.kernel];
    if (!kernel) throw new Error(`unknown narrow kernel ${spec.kernel}`);
    this.kernel = kernel;
    this.spec = spec;
    this.operator = spec.operator ?? spec.kernel;
    this.narrowParents = [parent];
    this.numPartitions = parent.getNumPartitions();
    this.partitioner = spec.preservesPartitioning ? parent.partitioner : undefined;
  }

  narrowInputs(partition: number): NarrowInput[] {
    return [{ parentIndex: 0, partition }];
  }

  compute(partition: number, context: TaskContext): Iterable<T> {
    const parent = this.narrowParents[0] as RDD<unknown>;
    const input = parent.iterator(partition, context);
    return this.kernel(input, partition, this.spec.functions ?? [], this.spec.params ?? {}) as Iterable<T>;
  }

  describe(): NodeDescription {
    const { functions = [], ...rest } = this.spec;
    return { type: 'mapPartitions', params: rest, functions };
  }
}
