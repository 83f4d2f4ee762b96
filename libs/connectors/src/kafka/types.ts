/**
 * The data types of the Kafka direct source: records, batches, options and metrics.
 */
import type { Offset, OffsetRange } from './offsets.ts';
import type { DeadLetterNote } from './recent-dead-letters.ts';

/** Where a partition starts when it is assigned and the application's sink holds no offset for it. */
export type StartingOffsets =
  | 'earliest'
  | 'latest'
  /** Reads the application's own sink: the offset to resume from, or `undefined` to fall back. */
  | ((topic: string, partition: number) => Promise<Offset | undefined>);

/** What {@link KafkaDirectSourceOptions.deserialize} learns about the record besides its bytes. */
export interface KafkaRecordMeta {
  readonly topic: string;
  readonly partition: number;
  readonly offset: Offset;
  readonly timestamp: number;
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** A fetched record as {@link KafkaDirectSourceOptions.deserializeBatch} gets it. */
export interface RawKafkaRecord {
  readonly offset: bigint;
  /** Milliseconds since the epoch: the broker's append time (topics use LogAppendTime). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  /** Null for a tombstone. */
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** The shape of a `RejectedRecord` (kafka-direct-source.ts), for the option's type. */
export interface RejectedRecordLike {
  readonly error: unknown;
}

/** One deserialized record of a batch. */
export interface KafkaRecord<V> {
  readonly topic: string;
  readonly partition: number;
  /** Exact int64 offset as a canonical decimal string. */
  readonly offset: Offset;
  /** Milliseconds since the epoch: the broker's append time (topics use LogAppendTime). */
  readonly timestamp: number;
  /** The key decoded as UTF-8, or null. */
  readonly key: string | null;
  readonly value: V;
  /** Headers decoded as UTF-8; for a repeated header the last value wins. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The slice of one partition in a batch: its range and the records that deserialized. */
export interface KafkaBatchPartition<V> {
  readonly range: OffsetRange;
  /** In offset order; records that failed to deserialize are absent (they went to the dead-letter topic). */
  readonly records: ReadonlyArray<KafkaRecord<V>>;
}

/** One micro-batch cut by {@link KafkaDirectSource.nextBatch}. */
export interface KafkaBatch<V> {
  /** The batch time the caller passed. */
  readonly batchTimeMs: number;
  /** One range per partition that advanced, sorted by topic then partition. */
  readonly offsetRanges: readonly OffsetRange[];
  readonly partitions: ReadonlyArray<KafkaBatchPartition<V>>;
  /** Records of these ranges that failed to deserialize and were sent to the dead-letter topic. */
  readonly deadLettered: number;
}

/** Processing statistics of a completed batch, for the backpressure rate estimator. */
export interface BatchCompletionStats {
  /** How long processing the batch took (ms). */
  readonly processingDelayMs: number;
  /** How long the batch waited between its batch time and the start of processing (ms). */
  readonly schedulingDelayMs: number;
  /** Records the batch held. */
  readonly numRecords: number;
}

/** Group-membership timing of the underlying kafkajs consumer; lower them in tests for fast rebalances. */
export interface KafkaConsumerTuning {
  /** Default 10 000 ms (the broker's minimum is `group.min.session.timeout.ms`, 6 000 by default). */
  sessionTimeoutMs?: number;
  /** Default 1 000 ms. */
  heartbeatIntervalMs?: number;
  /** How long the coordinator waits for members to rejoin. Default 10 000 ms. */
  rebalanceTimeoutMs?: number;
  /** Longest a fetch waits for data. Default 200 ms. */
  maxWaitTimeMs?: number;
  /**
   * How old topic metadata may get before it is read again, which is also how soon partitions added to a
   * consumed topic are noticed (the group then rebalances and they start like any newly assigned partition).
   * Default: `OXBOW_KAFKA_METADATA_MAX_AGE_MS` (plain environment), else 30 000 ms.
   */
  metadataMaxAgeMs?: number;
}

/** Options of a {@link KafkaDirectSource}. */
export interface KafkaDirectSourceOptions<V> {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Topics to consume; partitions are spread over the group's members. */
  topics: string[];
  /** The consumer group: members with the same id share the partitions. */
  groupId: string;
  /** kafkajs client id. Default `oxbow-kafka-source`. */
  clientId?: string;
  /**
   * Where a newly assigned partition starts: the callback's offset (the application's sink) when it returns one,
   * else the group's committed offset, else the earliest or latest available offset. Offsets outside the
   * partition's available range are clamped into it (and counted in `metrics().offsetResets`).
   */
  startingOffsets: StartingOffsets;
  /** With a `startingOffsets` callback: where a partition starts when neither the sink nor the group has an offset. Default `'earliest'`. */
  offsetReset?: 'earliest' | 'latest';
  /** Turns a record's value into `V`; throws on bad input (the record then goes to the dead-letter topic). */
  deserialize?: (bytes: Buffer, meta: KafkaRecordMeta) => V;
  /**
   * Instead of `deserialize`: turns all records of one partition's cut into values at once, asynchronously (in
   * worker threads, say), one per record in order, a `RejectedRecord` for one to dead-letter. Called for every
   * partition of a cut together; `nextBatch` resolves after them and after the dead letters, as with
   * `deserialize`. Fetches and rebalances may happen meanwhile: check `ownsRange` before using a range.
   */
  deserializeBatch?: (
    topic: string,
    partition: number,
    records: readonly RawKafkaRecord[],
  ) => Promise<ReadonlyArray<V | RejectedRecordLike>>;
  /** Where undeserializable records go. Default `oxbow_dead_letter`. */
  deadLetterTopic?: string;
  /**
   * The dead-letter topic's `max.message.bytes`, which sizes dead letters (truncated payloads beyond it) and their
   * produce requests. Default: read at `start()`, after creating the topic if it is missing and raising its limit
   * to the source topics' + `DEAD_LETTER_HEADROOM_BYTES` if it is below that (see `log`).
   */
  deadLetterMaxMessageBytes?: number;
  /** What the source has to tell: how it found, created or raised the dead-letter topic. Default: nowhere. */
  log?: (entry: KafkaSourceLogEntry) => void;
  /** Caps each partition at this many records per second (× the batch interval per batch). */
  maxRatePerPartition?: number;
  /** Adapts the rate to processing speed with a PID estimator (Spark's `spark.streaming.backpressure`). */
  backpressure?: boolean;
  /** With backpressure, the total rate (records/s) before the first estimate. Default: unlimited (or the cap). */
  initialRate?: number;
  /** The batch interval (ms) of the stream this source feeds. */
  batchIntervalMs: number;
  /** Fetching pauses for a partition holding this many uncut records. Default 10 000. */
  maxBufferedPerPartition?: number;
  /** Time source for the rate estimator. Default the wall clock. */
  clock?: { now(): number };
  /** Consumer-group timing. */
  consumer?: KafkaConsumerTuning;
  /** kafkajs log level. Default `'error'`. */
  logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
}

/** A line a {@link KafkaDirectSource} reports through {@link KafkaDirectSourceOptions.log}. */
export interface KafkaSourceLogEntry {
  readonly level: 'info' | 'warn' | 'error';
  /** `dead-letter.created`, `dead-letter.raised`, `dead-letter.limit` (a limit it could not read or raise). */
  readonly event: string;
  /** One human-readable sentence. */
  readonly message: string;
  readonly [field: string]: unknown;
}

/** Counters and gauges of a {@link KafkaDirectSource}. */
export interface KafkaSourceMetrics {
  /** Records handed out in batches (deserialized or dead-lettered). */
  recordsIn: number;
  /** Records sent to the dead-letter topic. */
  deadLettered: number;
  /**
   * The last dead letters (at most `RECENT_DEAD_LETTERS`, 20), newest first: source position, reason (the
   * `oxbow-error` header, cut to 300 characters) and when. In memory only: a new source starts with none.
   */
  recentDeadLetters: DeadLetterNote[];
  /** Per `topic:partition` of the current assignment: offsets from the last cut to the last seen high watermark. */
  lagPerPartition: Record<string, string>;
  /** The backpressure estimate (records/s over all partitions), else the static cap over the assignment, else null. */
  currentRateLimit: number | null;
  /** Group assignments received after the first one. */
  rebalances: number;
  /** Start offsets moved into the partition's available range (data lost to retention, or beyond the end). */
  offsetResets: number;
  /** Group-offset commits that failed (they are only for lag visibility; the sink holds the truth). */
  commitFailures: number;
}
