/** `window(windowDuration, slideDuration)`: each RDD is the union of the parent's RDDs in (t − window, t]. */
import { DataflowError } from '../../errors.ts';
import type { RDD } from '../../rdd/rdd.ts';
import { DStream } from '../dstream.ts';

/** Throws unless `duration` is a positive multiple of `base` (a clear error for windows and slides). */
export function requireMultiple(what: string, duration: number, base: number): void {
  if (!(duration > 0) || duration % base !== 0) {
    throw new DataflowError(
      'OXBOW_INVALID_ARGUMENT',
      `The ${what} of windowed DStream (${duration} ms) must be a multiple of the slide duration of parent DStream (${base} ms)`,
    );
  }
}

export class WindowedDStream<T> extends DStream<T> {
  private readonly parent: DStream<T>;
  readonly windowDuration: number;
  private readonly slide: number;

  constructor(parent: DStream<T>, windowDuration: number, slideDuration: number) {
    super(parent.ssc);
    requireMultiple('window duration', windowDuration, parent.slideDuration);
    requireMultiple('slide duration', slideDuration, parent.slideDuration);
    this.parent = parent;
    this.windowDuration = windowDuration;
    this.slide = slideDuration;
    // Each batch of the parent is read by several windows: keep it instead of recomputing it.
    parent.persist();
  }

  get slideDuration(): number {
    return this.slide;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent as DStream<unknown>];
  }

  protected override parentRememberDuration(): number {
    return (this.rememberDuration ?? this.slide) + this.windowDuration;
  }

  async compute(time: number): Promise<RDD<T> | undefined> {
    const rdds = await this.parent.slice(time - this.windowDuration + this.parent.slideDuration, time);
    const ctx = this.ssc.dataflowContext;
    return rdds.length > 0 ? ctx.union(rdds) : ctx.emptyRDD<T>();
  }
}
