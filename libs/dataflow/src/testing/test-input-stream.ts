/** An input stream that serves batch i of a fixed list at the i-th batch time (Spark's TestInputStream). */
import type { RDD } from '../rdd/rdd.ts';
import { InputDStream } from '../streaming/dstreams/input-dstream.ts';
import type { StreamingContext } from '../streaming/streaming-context.ts';

export class TestInputStream<T> extends InputDStream<T> {
  private readonly input: readonly (readonly T[])[];
  private readonly numPartitions: number;

  constructor(ssc: StreamingContext, input: readonly (readonly T[])[], numPartitions: number) {
    super(ssc);
    this.input = input;
    this.numPartitions = numPartitions;
  }

  async compute(time: number): Promise<RDD<T> | undefined> {
    const index = (time - (this.zeroTime ?? 0)) / this.slideDuration - 1;
    return this.ssc.dataflowContext.parallelize(this.input[index] ?? [], this.numPartitions);
  }
}
