/** A stream whose RDD at each time is a function of its parents' RDDs at that time (`map`, `transform`, …). */
import { DataflowError } from '../../errors.ts';
import type { RDD } from '../../rdd/rdd.ts';
import { DStream } from '../dstream.ts';
import type { StreamingContext } from '../streaming-context.ts';

export class TransformedDStream<U> extends DStream<U> {
  private readonly parents: readonly DStream<unknown>[];
  private readonly transformFunc: (rdds: RDD<unknown>[], time: number) => RDD<U>;

  constructor(
    ssc: StreamingContext,
    parents: readonly DStream<unknown>[],
    transformFunc: (rdds: RDD<unknown>[], time: number) => RDD<U>,
  ) {
    super(ssc);
    const slides = new Set(parents.map((p) => p.slideDuration));
    if (slides.size > 1) {
      throw new DataflowError(
        'OXBOW_INVALID_ARGUMENT',
        `Some of the DStreams have different slide durations: ${[...slides].join(', ')} ms`,
      );
    }
    this.parents = parents;
    this.transformFunc = transformFunc;
  }

  get slideDuration(): number {
    return this.parents[0]?.slideDuration ?? this.ssc.batchDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return this.parents;
  }

  async compute(time: number): Promise<RDD<U> | undefined> {
    const rdds: RDD<unknown>[] = [];
    for (const parent of this.parents) {
      const rdd = await parent.getOrCompute(time);
      if (!rdd) return undefined;
      rdds.push(rdd);
    }
    return this.transformFunc(rdds, time);
  }
}
