/** An output stream: runs a function on each RDD of its parent (`foreachRDD`, `print`, …). */
import type { RDD } from '../../rdd/rdd.ts';
import { DStream, type ForeachFunction } from '../dstream.ts';
import type { StreamingContext } from '../streaming-context.ts';

export class ForEachDStream<T> extends DStream<never> {
  private readonly parent: DStream<T>;
  private readonly foreachFunc: ForeachFunction<T>;

  constructor(ssc: StreamingContext, parent: DStream<T>, foreachFunc: ForeachFunction<T>) {
    super(ssc);
    this.parent = parent;
    this.foreachFunc = foreachFunc;
    ssc.registerOutputStream(this as DStream<unknown>);
  }

  get slideDuration(): number {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent as DStream<unknown>];
  }

  async compute(): Promise<RDD<never> | undefined> {
    return undefined;
  }

  /** Runs the output function for `time`, when the parent has an RDD then. */
  async generateJob(time: number): Promise<void> {
    if (!this.isTimeValid(time)) return;
    const rdd = await this.parent.getOrCompute(time);
    if (rdd) await this.foreachFunc(rdd, time);
  }
}
