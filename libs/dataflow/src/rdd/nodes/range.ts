/** The RDD of `range(start, end, step)`: numbers computed per partition, never materialized on the driver. */
import type { Partitioner } from '../../partitioner.ts';
import type { LineageNode, NarrowInput, NodeDescription, ShuffleDependency } from '../lineage.ts';
import type { RDD } from '../rdd.ts';

/** Parameters of a range: `start` up to (excluding) `end` by `step`, cut into `numSlices` slices. */
export interface RangeParams {
  start: number;
  end: number;
  step: number;
  numSlices: number;
}

export class RangeNode implements LineageNode<number> {
  readonly className = 'RangeRDD';
  readonly operator = 'range';
  readonly numPartitions: number;
  readonly partitioner: Partitioner | undefined = undefined;
  readonly narrowParents: readonly RDD<unknown>[] = [];
  readonly shuffleDependencies: readonly ShuffleDependency[] = [];
  private readonly params: RangeParams;
  private readonly count: number;

  constructor(params: RangeParams) {
    this.params = params;
    this.numPartitions = params.numSlices;
    const span = params.end - params.start;
    this.count = Math.sign(span) === Math.sign(params.step) ? Math.max(0, Math.ceil(span / params.step)) : 0;
  }

  narrowInputs(): NarrowInput[] {
    return [];
  }

  *compute(partition: number): Iterable<number> {
    const { start, step, numSlices } = this.params;
    const from = Math.floor((partition * this.count) / numSlices);
    const to = Math.floor(((partition + 1) * this.count) / numSlices);
    for (let i = from; i < to; i++) yield start + i * step;
  }

  describe(): NodeDescription {
    return { type: 'range', params: this.params, functions: [] };
  }
}
