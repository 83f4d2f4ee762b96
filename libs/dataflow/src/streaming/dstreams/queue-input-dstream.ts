/** `queueStream`: each batch takes the next RDD from a queue (or all queued ones), as Spark's QueueInputDStream. */
import type { RDD } from '../../rdd/rdd.ts';
import type { StreamingContext } from '../streaming-context.ts';
import { InputDStream } from './input-dstream.ts';

export class QueueInputDStream<T> extends InputDStream<T> {
  private readonly queue: RDD<T>[];
  private readonly oneAtATime: boolean;
  private readonly defaultRDD: RDD<T> | undefined;

  constructor(ssc: StreamingContext, queue: RDD<T>[], oneAtATime: boolean, defaultRDD: RDD<T> | undefined) {
    super(ssc);
    this.queue = queue;
    this.oneAtATime = oneAtATime;
    this.defaultRDD = defaultRDD;
  }

  async compute(): Promise<RDD<T> | undefined> {
    if (this.queue.length > 0) {
      if (this.oneAtATime) return this.queue.shift();
      const all = this.queue.splice(0);
      return this.ssc.dataflowContext.union(all);
    }
    return this.defaultRDD ?? this.ssc.dataflowContext.emptyRDD<T>();
  }
}
