/**
 * The Kafka direct stream of the speed layer, anchored in Redis: a restored checkpoint does not position the
 * source by itself; partitions always start from the `startingOffsets` callback, which reads Redis (and starts
 * from the checkpoint's offsets when they lag Redis, replaying what the live views missed). The stream tracks,
 * per partition, the offset through which the stateful live views have absorbed records (restored from the
 * checkpoint, advanced by every batch fed to them), so replayed records are never fed to them twice.
 */
import { DirectKafkaInputDStream, type DirectStreamOptions, type KafkaRecord } from '@oxbow/connectors';
import type { RDD, StreamingContext } from '@oxbow/dataflow';

interface DirectStreamCheckpoint {
  offsets: Array<[topicPartition: string, untilOffset: string]>;
}

/** Offsets the live views' restored state already reflects, per `topic\0partition` (bigint for comparisons). */
export type AbsorbedOffsets = ReadonlyMap<string, bigint>;

/** The key of a partition in {@link AbsorbedOffsets}. */
export function absorbedKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * A direct stream whose positions come from the sink only.
 *
 * @example
 * ```ts
 * const stream = new SinkAnchoredKafkaStream(ssc, { brokers, topics: ['http_logs'], groupId, deserialize,
 *   startingOffsets: (topic, p) => redis.hget(`oxbow:offsets:${topic}`, String(p)).then((o) => o ?? base(topic, p)) });
 * ```
 */
export class SinkAnchoredKafkaStream<V> extends DirectKafkaInputDStream<V> {
  private readonly absorbedOffsets = new Map<string, bigint>();
  private lastComputed: number | undefined;

  constructor(ssc: StreamingContext, options: DirectStreamOptions<V>) {
    super(ssc, options);
  }

  /** What the live views' state already reflects, per partition (empty before the first batch). */
  get absorbed(): AbsorbedOffsets {
    return this.absorbedOffsets;
  }

  /** The offset through which the live views absorbed a partition, if known. */
  absorbedOffset(topic: string, partition: number): bigint | undefined {
    return this.absorbedOffsets.get(absorbedKey(topic, partition));
  }

  /** Records that the live views absorbed the batch's ranges (called as the batch is fed to them). */
  markAbsorbed(ranges: ReadonlyArray<{ topic: string; partition: number; untilOffset: string }>): void {
    for (const range of ranges) {
      const key = absorbedKey(range.topic, range.partition);
      const until = BigInt(range.untilOffset);
      const previous = this.absorbedOffsets.get(key);
      if (previous === undefined || until > previous) this.absorbedOffsets.set(key, until);
    }
  }

  /**
   * The batch at `time`; for a time before one already computed (a window reaching back across a restart) an
   * empty RDD, never a new cut: the source only moves forward, and a cut labelled with a past time would bypass
   * the increments' commit.
   */
  override async compute(time: number): Promise<RDD<KafkaRecord<V>>> {
    if (this.lastComputed !== undefined && time < this.lastComputed) {
      return this.ssc.dataflowContext.parallelize<KafkaRecord<V>>([], 1);
    }
    this.lastComputed = time;
    return super.compute(time);
  }

  override checkpointState(): DirectStreamCheckpoint {
    const own = super.checkpointState() as DirectStreamCheckpoint;
    const merged = new Map<string, string>();
    for (const [key, offset] of this.absorbedOffsets) merged.set(key, offset.toString());
    for (const [key, offset] of own.offsets) {
      const previous = merged.get(key);
      if (previous === undefined || BigInt(offset) > BigInt(previous)) merged.set(key, offset);
    }
    return { offsets: [...merged.entries()] };
  }

  override restoreState(state: unknown): void {
    const checkpoint = state as DirectStreamCheckpoint | undefined;
    for (const [key, offset] of checkpoint?.offsets ?? []) this.absorbedOffsets.set(key, BigInt(offset));
  }
}
