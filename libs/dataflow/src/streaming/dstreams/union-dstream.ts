/** The union of several streams with the same slide duration. */
import { DataflowError } from '../../errors.ts';
import type { RDD } from '../../rdd/rdd.ts';
import { DStream } from '../dstream.ts';
import type { StreamingContext } from '../streaming-context.ts';

export class UnionDStream<T> extends DStream<T> {
  private readonly parents: readonly DStream<T>[];

  constructor(ssc: StreamingContext, parents: readonly DStream<T>[]) {
    super(ssc);
    if (parents.length === 0) throw new DataflowError('OXBOW_INVALID_ARGUMENT', 'Empty array of parents');
    if (new Set(parents.map((p) => p.slideDuration)).size > 1) {
      throw new DataflowError(
        'OXBOW_INVALID_ARGUMENT',
        'Some of the DStreams have different slide durations',
      );
    }
    this.parents = parents;
  }

  get slideDuration(): number {
    return (this.parents[0] as DStream<T>).slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return this.parents as readonly DStream<unknown>[];
  }

  async compute(time: number): Promise<RDD<T> | undefined> {
    const rdds: RDD<T>[] = [];
    for (const parent of this.parents) {
      const rdd = await parent.getOrCompute(time);
      if (rdd) rdds.push(rdd);
    }
    return rdds.length === 0 ? undefined : this.ssc.dataflowContext.union(rdds);
  }
}
