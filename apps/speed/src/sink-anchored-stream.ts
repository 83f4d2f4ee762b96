/**
 * The Kafka direct stream of the speed layer, anchored in Redis: a restored checkpoint does not position the
 * source (the checkpoint's offsets may lag Redis by a batch, and after a rebuild they are ahead of the replay);
 * partitions always start from the `startingOffsets` callback, which reads Redis. The checkpoint's offsets are
 * kept instead as what the stateful live views have already absorbed, so records replayed below them are not
 * fed to those views twice.
 */
import { DirectKafkaInputDStream, type DirectStreamOptions, type KafkaRecord } from '@oxbow/connectors';
import type { StreamingContext } from '@oxbow/dataflow';

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

  constructor(ssc: StreamingContext, options: DirectStreamOptions<V>) {
    super(ssc, options);
  }

  /** What the restored live-view state already reflects (empty without a checkpoint). */
  get absorbed(): AbsorbedOffsets {
    return this.absorbedOffsets;
  }

  /** True when `record` is at or past what the restored state reflects (so the live views must see it). */
  isNew(record: KafkaRecord<V>): boolean {
    const through = this.absorbedOffsets.get(absorbedKey(record.topic, record.partition));
    return through === undefined || BigInt(record.offset) >= through;
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
