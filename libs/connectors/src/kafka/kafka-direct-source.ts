/**
 * The driver-side pull source of the speed layer's direct Kafka stream (Spark's `DirectKafkaInputDStream`, Kafka
 * side): a kafkajs group consumer fills per-partition buffers, and each `nextBatch` cuts contiguous offset ranges
 * from them. Offsets are never auto-committed; the application commits results and offsets to its own sink.
 */
import {
  type Admin,
  type ConfigResourceTypes,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  Kafka,
  logLevel,
  type Message,
  type Producer,
} from 'kafkajs';
import { maxRecordsPerPartition } from './batch-limits.ts';
import {
  deadLetterMessage,
  deadLetterReason,
  deadLetterSends,
  deadLetterTopicMaxBytes,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
} from './dead-letter.ts';
import { KafkaSourceError } from './kafka-source-error.ts';
import { type Offset, type OffsetRange, parseOffset, partitionKey } from './offsets.ts';
import { type BufferedRecord, PartitionBuffer, type PartitionCut } from './partition-buffer.ts';
import { PidRateEstimator } from './pid-rate-estimator.ts';
import { RecentDeadLetters } from './recent-dead-letters.ts';
import type {
  BatchCompletionStats,
  KafkaBatch,
  KafkaBatchPartition,
  KafkaDirectSourceOptions,
  KafkaRecord,
  KafkaSourceMetrics,
  RejectedRecordLike,
} from './types.ts';

/** The default dead-letter topic (it exists on the local stack). */
export const DEFAULT_DEAD_LETTER_TOPIC = 'oxbow_dead_letter';

const LOG_LEVELS = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
} as const;

/** kafkajs's `ConfigResourceTypes.TOPIC` (its enums are not importable as values from ESM). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
/** kafkajs's `ConfigSource.TOPIC_CONFIG`: a value set on the topic itself. */
const TOPIC_CONFIG_SOURCE = 1;
const MAX_MESSAGE_BYTES = 'max.message.bytes';
/**
 * What {@link KafkaDirectSourceOptions.deserializeBatch} returns for a record that is to be dead-lettered, with
 * the error that says why (its `Name: message` becomes the `oxbow-error` header).
 *
 * @example
 * return records.map((r) => (valid(r) ? value(r) : new RejectedRecord(new Error('why'))));
 */
export class RejectedRecord {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/** What identifies a cut batch: its `offsetRanges` array (the very array `nextBatch` returned). */
type CutBatch = Pick<KafkaBatch<unknown>, 'offsetRanges'>;

/** What {@link KafkaDirectSource} `deserialize` returns for a record that threw. */
const REJECTED: unique symbol = Symbol('rejected');
/** A tombstone's value as `deserialize` sees it. */
const EMPTY_VALUE = Buffer.alloc(0);
/** The headers of a record without any (shared, never written). */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
/** kafkajs error types that mean a produce request or batch was too large for the topic. */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** The fetch state of one assigned partition, replaced (new epoch) whenever its position is reset. */
interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /** Unique per (assignment or reposition) of the partition in this source. */
  readonly epoch: number;
  /** Set once the start offset is known and the consumer was told to seek there. */
  buffer: PartitionBuffer | undefined;
  /** False until a fetch from exactly `buffer.position` arrived after the last seek. */
  synced: boolean;
  paused: boolean;
}

type Lifecycle = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Cuts micro-batches of Kafka records for a DStream, with exactly-once-friendly offset ranges.
 *
 * - `start()` joins the consumer group; each assigned partition starts at the offset the `startingOffsets` callback
 *   returns (the application's sink), else the group's committed offset, else earliest/latest.
 * - `nextBatch()` cuts, for every assigned and positioned partition, the records fetched since the last cut
 *   (bounded by `maxRatePerPartition` × interval and the backpressure estimate) as a range `[last cut, next)`.
 * - The application writes results and the ranges' `untilOffset`s to its sink atomically, only if the sink's
 *   offsets still equal the ranges' `fromOffset`s, then calls `batchCompleted()`; if that check fails it calls
 *   `batchFailed()`, which re-reads the sink for those partitions.
 * - On a rebalance, revoked partitions are dropped with their buffered records; newly assigned ones start from
 *   the sink again; retained ones continue from their last cut.
 *
 * @example
 * const source = new KafkaDirectSource({
 *   brokers: ['127.0.0.1:29092'], topics: ['events'], groupId: 'speed', batchIntervalMs: 1000,
 *   startingOffsets: (topic, partition) => sink.offset(topic, partition),
 *   deserialize: (bytes) => JSON.parse(bytes.toString('utf8')),
 * });
 * await source.start();
 * const batch = await source.nextBatch(Date.now());
 * if (await sink.commitIfUnchanged(batch)) await source.batchCompleted(batch, stats);
 * else await source.batchFailed(batch);
 * await source.stop();
 */
export class KafkaDirectSource<V> {
  private readonly options: KafkaDirectSourceOptions<V>;
  private readonly topics: ReadonlySet<string>;
  private readonly deadLetterTopic: string;
  /** The dead-letter topic's `max.message.bytes` (read at start, re-read after a size refusal). */
  private deadLetterMaxBytes: number;
  private readonly maxBuffered: number;
  private readonly clock: { now(): number };
  private readonly estimator: PidRateEstimator | undefined;
  private estimatedRate: number | undefined;
  private readonly kafka: Kafka;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private lifecycle: Lifecycle = 'new';
  private fatal: KafkaSourceError | undefined;
  private readonly states = new Map<string, PartitionState>();
  private assigned: Array<{ topic: string; partition: number }> = [];
  private nextEpoch = 1;
  private joins = 0;
  private readonly pending = new Set<Promise<void>>();
  private lastDeserializeError: unknown;
  /**
   * Partition epochs at each cut, keyed by the batch's `offsetRanges` array: an application may keep just that
   * array (not the records) until it completes the batch.
   */
  private readonly cutEpochs = new WeakMap<readonly OffsetRange[], ReadonlyMap<string, number>>();
  private readonly readyWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  /** The last dead letters, for `metrics().recentDeadLetters`. */
  private readonly recentDeadLetters = new RecentDeadLetters();
  private readonly counters = {
    recordsIn: 0,
    deadLettered: 0,
    rebalances: 0,
    offsetResets: 0,
    commitFailures: 0,
  };

  constructor(options: KafkaDirectSourceOptions<V>) {
    validateOptions(options);
    this.options = options;
    this.topics = new Set(options.topics);
    this.deadLetterTopic = options.deadLetterTopic ?? DEFAULT_DEAD_LETTER_TOPIC;
    this.deadLetterMaxBytes = options.deadLetterMaxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    this.maxBuffered = options.maxBufferedPerPartition ?? 10_000;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.estimator = options.backpressure
      ? new PidRateEstimator({ batchIntervalMs: options.batchIntervalMs })
      : undefined;
    this.estimatedRate = options.backpressure ? options.initialRate : undefined;
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'oxbow-kafka-source',
      brokers: [...options.brokers],
      logLevel: LOG_LEVELS[options.logLevel ?? 'error'],
      connectionTimeout: 3000,
      requestTimeout: 30_000,
      retry: { retries: 8, initialRetryTime: 200 },
    });
  }

  /**
   * Connects, joins the consumer group and resolves once the first assignment is positioned (every assigned
   * partition knows its start offset).
   */
  async start(): Promise<void> {
    if (this.lifecycle !== 'new')
      throw new KafkaSourceError('OXBOW_KAFKA_STATE', `start() called when ${this.lifecycle}`);
    this.lifecycle = 'starting';
    const tuning = this.options.consumer ?? {};
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: tuning.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: tuning.heartbeatIntervalMs ?? 1000,
      rebalanceTimeout: tuning.rebalanceTimeoutMs ?? 10_000,
      maxWaitTimeInMs: tuning.maxWaitTimeMs ?? 200,
      // Partitions added to a topic are noticed at the next metadata refresh (kafkajs's default: 5 minutes).
      metadataMaxAge: tuning.metadataMaxAgeMs ?? metadataMaxAgeFromEnvironment(),
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    // Dead-letter writes fail within seconds when the topic cannot be written; the caller retries the batch.
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    this.admin = this.kafka.admin();
    const ready = new Promise<void>((resolve, reject) => {
      this.readyWaiters.push({ resolve, reject });
    });
    ready.catch(() => {}); // awaited below; this only keeps an early rejection from being reported as unhandled
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.onAssignment(event.payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) {
        this.fail(
          new KafkaSourceError('OXBOW_KAFKA_IO', 'the Kafka consumer crashed', {
            cause: event.payload.error,
          }),
        );
      }
    });
    try {
      await Promise.all([this.admin.connect(), this.producer.connect(), consumer.connect()]);
      if (this.options.deadLetterMaxMessageBytes === undefined) await this.prepareDeadLetterTopic(this.admin);
      await consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async (payload) => {
          this.onFetched(payload);
        },
      });
      this.lifecycle = 'running';
      await ready;
    } catch (error) {
      await this.stop().catch(() => {});
      throw KafkaSourceError.is(error)
        ? error
        : new KafkaSourceError('OXBOW_KAFKA_IO', `could not start the Kafka source: ${String(error)}`, {
            cause: error,
            retriable: true,
          });
    }
  }

  /**
   * Cuts the next batch: for each assigned, positioned partition, the records fetched since the last cut, up to
   * the rate limit × interval and the backpressure share. Never waits for records. Records that fail to
   * deserialize are sent to the dead-letter topic before this resolves; their offsets stay in the ranges. After
   * `stop()` it returns empty batches.
   */
  async nextBatch(batchTimeMs: number): Promise<KafkaBatch<V>> {
    if (this.fatal) throw this.fatal;
    if (this.lifecycle === 'new' || this.lifecycle === 'starting') {
      throw new KafkaSourceError('OXBOW_KAFKA_STATE', 'nextBatch() before start() completed');
    }
    if (this.lifecycle !== 'running') {
      return { batchTimeMs, offsetRanges: [], partitions: [], deadLettered: 0 };
    }
    // Everything up to the dead-letter send is synchronous: no fetch or rebalance interleaves with the cut.
    const active = [...this.states.values()]
      .filter((state) => state.buffer !== undefined)
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    const lags = new Map<string, bigint>();
    for (const state of active) lags.set(state.key, state.buffer?.lag() ?? 0n);
    const limits = maxRecordsPerPartition(lags, {
      batchIntervalMs: this.options.batchIntervalMs,
      maxRatePerPartition: this.options.maxRatePerPartition,
      estimatedRate: this.estimatedRate,
    });
    const partitions: Array<KafkaBatchPartition<V>> = [];
    const epochs = new Map<string, number>();
    const cutStates: PartitionState[] = [];
    const rejected: Array<{ state: PartitionState; raw: BufferedRecord; error: unknown }> = [];
    let recordsIn = 0;
    const cuts: Array<{ state: PartitionState; cut: PartitionCut }> = [];
    for (const state of active) {
      const cut = state.buffer?.cut(limits.get(state.key) ?? Number.POSITIVE_INFINITY);
      if (!cut) continue;
      cuts.push({ state, cut });
      epochs.set(state.key, state.epoch);
      cutStates.push(state);
      recordsIn += cut.records.length;
    }
    this.updatePauses();
    const batchDeserialize = this.options.deserializeBatch;
    if (batchDeserialize) {
      // Deserialized elsewhere (worker threads): fetches and rebalances may interleave from here on; the cut's
      // epochs (recorded below) keep commits and `batchFailed` to what is still owned.
      let outcomes: Array<ReadonlyArray<V | RejectedRecordLike>>;
      try {
        outcomes = await Promise.all(
          cuts.map(({ state, cut }) => batchDeserialize(state.topic, state.partition, cut.records)),
        );
      } catch (error) {
        // Nothing of the batch is handed out: put its partitions back to where it started.
        for (const { state, cut } of cuts) {
          if (this.states.get(state.key) === state) this.reposition(state, parseOffset(cut.range.fromOffset));
        }
        throw new KafkaSourceError(
          'OXBOW_KAFKA_IO',
          `deserializeBatch failed (${error instanceof Error ? error.message : String(error)}); the batch's partitions are held at its start`,
          { cause: error, retriable: true },
        );
      }
      cuts.forEach(({ state, cut }, index) => {
        const values = outcomes[index] ?? [];
        const records: Array<KafkaRecord<V>> = [];
        cut.records.forEach((raw, i) => {
          const value = values[i];
          if (value instanceof RejectedRecord) rejected.push({ state, raw, error: value.error });
          else if (i >= values.length)
            rejected.push({ state, raw, error: new Error('no value from deserializeBatch') });
          else records.push(this.recordOf(state, raw, value as V));
        });
        partitions.push({ range: cut.range, records });
      });
    } else {
      for (const { state, cut } of cuts) {
        const records: Array<KafkaRecord<V>> = [];
        for (const raw of cut.records) {
          const record = this.deserialize(state, raw);
          if (record === REJECTED) rejected.push({ state, raw, error: this.lastDeserializeError });
          else records.push(record);
        }
        partitions.push({ range: cut.range, records });
      }
    }
    if (rejected.length > 0) {
      try {
        await this.sendDeadLetters(rejected);
      } catch (error) {
        // The batch is not handed out: put its partitions back to where it started (nothing is dropped).
        const heldAt: string[] = [];
        for (let i = 0; i < cutStates.length; i++) {
          const state = cutStates[i];
          const from = partitions[i]?.range.fromOffset;
          if (state && from !== undefined && this.states.get(state.key) === state) {
            this.reposition(state, parseOffset(from));
            heldAt.push(`${state.key}@${from}`);
          }
        }
        if (TOO_LARGE.has(String(Reflect.get(Object(error), 'type')))) await this.refreshDeadLetterLimit();
        const why = error instanceof Error ? error.message : String(error);
        throw new KafkaSourceError(
          'OXBOW_KAFKA_IO',
          `could not write to dead-letter topic '${this.deadLetterTopic}' (${why}); ` +
            `${rejected.length} rejected record(s) wait, partitions held at ${heldAt.join(', ') || 'their last cut'}`,
          { cause: error, retriable: true },
        );
      }
    }
    this.counters.recordsIn += recordsIn;
    this.counters.deadLettered += rejected.length;
    const at = Date.now();
    for (const { state, raw, error } of rejected) {
      this.recentDeadLetters.add({
        topic: state.topic,
        partition: state.partition,
        offset: raw.offsetText ?? raw.offset.toString(),
        reason: deadLetterReason(error),
        at,
      });
    }
    const batch: KafkaBatch<V> = {
      batchTimeMs,
      offsetRanges: partitions.map((p) => p.range),
      partitions,
      deadLettered: rejected.length,
    };
    this.cutEpochs.set(batch.offsetRanges, epochs);
    return batch;
  }

  /**
   * Reports a batch done: the application has written its results and offsets to its own store. Feeds the rate
   * estimator and commits the ranges' `untilOffset`s as the group's offsets (for lag visibility and as the
   * fallback start) for partitions this source still owns since the cut. A failed group commit is counted, not
   * thrown.
   */
  async batchCompleted(batch: KafkaBatch<V>, stats: BatchCompletionStats): Promise<void> {
    if (this.estimator) {
      const rate = this.estimator.compute(
        this.clock.now(),
        stats.numRecords,
        stats.processingDelayMs,
        stats.schedulingDelayMs,
      );
      if (rate !== undefined) this.estimatedRate = rate;
    }
    if (this.lifecycle !== 'running' || !this.consumer) return;
    const owned = batch.offsetRanges.filter((range) => this.ownsRange(batch, range));
    if (owned.length === 0) return;
    try {
      await this.consumer.commitOffsets(
        owned.map((range) => ({ topic: range.topic, partition: range.partition, offset: range.untilOffset })),
      );
    } catch {
      this.counters.commitFailures++;
    }
  }

  /**
   * Reports several batches done at once (in cut order), as {@link batchCompleted} does for one, with a single
   * group commit: for each partition the newest `untilOffset` among the ranges this source still owns. For an
   * application whose sink spans many batches (the archiver publishes files of many batches). Only each batch's
   * `offsetRanges` array is needed (the very array `nextBatch` returned), so the application need not keep the
   * records until then. `stats` describe the batches together (one estimator update).
   */
  async batchesCompleted(batches: ReadonlyArray<CutBatch>, stats: BatchCompletionStats): Promise<void> {
    if (this.estimator) {
      const rate = this.estimator.compute(
        this.clock.now(),
        stats.numRecords,
        stats.processingDelayMs,
        stats.schedulingDelayMs,
      );
      if (rate !== undefined) this.estimatedRate = rate;
    }
    if (this.lifecycle !== 'running' || !this.consumer) return;
    const newest = new Map<string, OffsetRange>();
    for (const batch of batches) {
      for (const range of batch.offsetRanges) {
        if (this.ownsRange(batch, range)) newest.set(partitionKey(range.topic, range.partition), range);
      }
    }
    if (newest.size === 0) return;
    try {
      await this.consumer.commitOffsets(
        [...newest.values()].map((range) => ({
          topic: range.topic,
          partition: range.partition,
          offset: range.untilOffset,
        })),
      );
    } catch {
      this.counters.commitFailures++;
    }
  }

  /**
   * Reports that the application could not commit a batch (its sink's offsets no longer matched the ranges, or
   * the write failed). Every partition of the batch still owned since the cut is repositioned from the start
   * offsets again (sink, group, earliest/latest); records buffered for it are dropped and re-fetched. Resolves
   * once they are positioned.
   */
  async batchFailed(batch: KafkaBatch<V>): Promise<void> {
    if (this.lifecycle !== 'running') return;
    const states: PartitionState[] = [];
    for (const range of batch.offsetRanges) {
      if (!this.ownsRange(batch, range)) continue;
      const old = this.states.get(partitionKey(range.topic, range.partition));
      if (old) states.push(this.replaceState(old));
    }
    if (states.length > 0) await this.track(this.resolveStarts(states));
    if (this.fatal) throw this.fatal;
  }

  /**
   * True when every partition of `batch` is still assigned to this source and was not repositioned since the cut.
   * A cheap pre-check before writing to the sink; only the sink's own offset check makes a commit safe.
   */
  ownsBatch(batch: KafkaBatch<V>): boolean {
    return batch.offsetRanges.every((range) => this.ownsRange(batch, range));
  }

  /** The partitions of the current group assignment, sorted. */
  assignment(): Array<{ topic: string; partition: number }> {
    return this.assigned.map((tp) => ({ ...tp }));
  }

  /** Counters and gauges. */
  metrics(): KafkaSourceMetrics {
    const lagPerPartition: Record<string, string> = {};
    for (const state of this.states.values()) {
      if (state.buffer) lagPerPartition[state.key] = state.buffer.lag().toString();
    }
    const cap =
      this.options.maxRatePerPartition === undefined
        ? undefined
        : this.options.maxRatePerPartition * this.assigned.length;
    const rates = [this.estimatedRate, cap].filter((rate): rate is number => rate !== undefined);
    return {
      ...this.counters,
      recentDeadLetters: this.recentDeadLetters.newestFirst(),
      lagPerPartition,
      currentRateLimit: rates.length === 0 ? null : Math.min(...rates),
    };
  }

  /**
   * Stops gracefully: no new batches (`nextBatch` returns empty ones), leaves the consumer group (its partitions
   * move to the other members) and disconnects. Resolves once the consumer has left the group.
   */
  async stop(): Promise<void> {
    if (this.lifecycle === 'stopped' || this.lifecycle === 'stopping') return;
    this.lifecycle = 'stopping';
    this.rejectReady(new KafkaSourceError('OXBOW_KAFKA_STATE', 'the source was stopped'));
    try {
      await this.consumer?.disconnect();
      await Promise.allSettled([...this.pending]);
      await Promise.allSettled([this.producer?.disconnect(), this.admin?.disconnect()]);
    } finally {
      this.states.clear();
      this.assigned = [];
      this.lifecycle = 'stopped';
    }
  }

  // --- dead letters -----------------------------------------------------------------------------------------------

  /**
   * One dead letter per rejected record, sized for the dead-letter topic, sent in order in requests that each fit
   * its `max.message.bytes`.
   */
  private async sendDeadLetters(
    rejected: ReadonlyArray<{ state: PartitionState; raw: BufferedRecord; error: unknown }>,
  ): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new KafkaSourceError('OXBOW_KAFKA_STATE', 'not connected');
    const sizing = { maxMessageBytes: this.deadLetterMaxBytes };
    const messages: Message[] = rejected.map(({ state, raw, error }) =>
      deadLetterMessage(state.topic, state.partition, raw, error, sizing),
    );
    for (const send of deadLetterSends(messages, this.deadLetterMaxBytes)) {
      await producer.send({ topic: this.deadLetterTopic, messages: send, acks: -1 });
    }
  }

  /**
   * Makes sure the dead-letter topic takes any record the source topics accept: creates it if missing, raises its
   * `max.message.bytes` to the source topics' largest + headroom if below, and remembers the limit. Whatever cannot
   * be done is reported through `log` (dead letters that do not fit are then truncated), never thrown.
   */
  private async prepareDeadLetterTopic(admin: Admin): Promise<void> {
    const topic = this.deadLetterTopic;
    try {
      const existing = new Set(await admin.listTopics());
      const limits = await describeMaxMessageBytes(
        admin,
        [...this.topics, topic].filter((name) => existing.has(name)),
      );
      // A source reading the dead-letter topic itself does not make it need more room than it has.
      const sourceLimits = [...this.topics]
        .filter((name) => name !== topic)
        .flatMap((name) => limits.get(name)?.value ?? []);
      const sourceMax = sourceLimits.length > 0 ? Math.max(...sourceLimits) : KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
      const required = deadLetterTopicMaxBytes(sourceMax);
      let current = limits.get(topic);
      if (current === undefined) {
        try {
          await admin.createTopics({
            waitForLeaders: true,
            topics: [{ topic, configEntries: [{ name: MAX_MESSAGE_BYTES, value: String(required) }] }],
          });
          this.report('info', 'dead-letter.created', `created the dead-letter topic '${topic}'`, {
            maxMessageBytes: required,
          });
        } catch (error) {
          // Created meanwhile by another member or a person: check it like an existing one.
          if (!String(Reflect.get(Object(error), 'type')).includes('TOPIC_ALREADY_EXISTS')) throw error;
        }
        current = (await describeMaxMessageBytes(admin, [topic])).get(topic);
        if (current === undefined) {
          this.deadLetterMaxBytes = required;
          return;
        }
      }
      this.deadLetterMaxBytes = current.value;
      if (current.value >= required) return;
      const entries = current.overrides;
      if (entries === undefined || entries.some((entry) => entry.value === null)) {
        this.reportSmallLimit(required, 'its other settings cannot be read back to keep them');
        return;
      }
      try {
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: TOPIC_RESOURCE,
              name: topic,
              // AlterConfigs replaces every topic-level setting: send the others back unchanged.
              configEntries: [
                ...entries
                  .filter((entry) => entry.name !== MAX_MESSAGE_BYTES)
                  .map((entry) => ({ name: entry.name, value: String(entry.value) })),
                { name: MAX_MESSAGE_BYTES, value: String(required) },
              ],
            },
          ],
        });
      } catch (error) {
        this.reportSmallLimit(
          required,
          `raising it failed: ${error instanceof Error ? error.message : error}`,
        );
        return;
      }
      this.report(
        'warn',
        'dead-letter.raised',
        `raised max.message.bytes of the dead-letter topic '${topic}' from ${this.deadLetterMaxBytes} to ${required} ` +
          `(the source topics accept records up to ${sourceMax} bytes)`,
        { from: this.deadLetterMaxBytes, to: required },
      );
      this.deadLetterMaxBytes = required;
    } catch (error) {
      this.report(
        'warn',
        'dead-letter.limit',
        `could not check the dead-letter topic '${topic}' (${error instanceof Error ? error.message : error}); ` +
          `sizing dead letters for max.message.bytes ${this.deadLetterMaxBytes}`,
      );
    }
  }

  /** Re-reads the dead-letter topic's limit after the broker refused a dead letter as too large. */
  private async refreshDeadLetterLimit(): Promise<void> {
    if (this.options.deadLetterMaxMessageBytes !== undefined || !this.admin) return;
    try {
      const limit = (await describeMaxMessageBytes(this.admin, [this.deadLetterTopic])).get(
        this.deadLetterTopic,
      );
      if (limit) this.deadLetterMaxBytes = limit.value;
    } catch {
      // Keep the last known limit; the next attempt fails the same way and says so.
    }
  }

  private reportSmallLimit(required: number, why: string): void {
    this.report(
      'warn',
      'dead-letter.limit',
      `the dead-letter topic '${this.deadLetterTopic}' accepts records up to ${this.deadLetterMaxBytes} bytes, ` +
        `below the ${required} the source topics need (${why}): larger rejected records are dead-lettered with ` +
        'a truncated value (header oxbow-truncated); raise its max.message.bytes',
      { maxMessageBytes: this.deadLetterMaxBytes, required },
    );
  }

  private report(
    level: 'info' | 'warn' | 'error',
    event: string,
    message: string,
    fields: Record<string, unknown> = {},
  ): void {
    this.options.log?.({ ...fields, level, event, message, topic: this.deadLetterTopic });
  }

  // --- group membership -------------------------------------------------------------------------------------------

  /** GROUP_JOIN: runs synchronously before the consumer fetches for the new generation. */
  private onAssignment(memberAssignment: Record<string, number[]>): void {
    if (this.lifecycle === 'stopping' || this.lifecycle === 'stopped') return;
    this.joins++;
    if (this.joins > 1) this.counters.rebalances++;
    const assigned: Array<{ topic: string; partition: number }> = [];
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      if (!this.topics.has(topic)) continue;
      for (const partition of partitions) assigned.push({ topic, partition });
    }
    assigned.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    this.assigned = assigned;
    const keys = new Set(assigned.map(({ topic, partition }) => partitionKey(topic, partition)));
    // Revoked: drop the state and its buffered records; the new owner re-reads them from the sink's offsets.
    for (const key of [...this.states.keys()]) if (!keys.has(key)) this.states.delete(key);
    const toResolve: PartitionState[] = [];
    for (const { topic, partition } of assigned) {
      const key = partitionKey(topic, partition);
      const state = this.states.get(key);
      if (state === undefined) {
        toResolve.push(this.newState(topic, partition));
      } else if (state.buffer) {
        // Retained: the new generation would fetch from the group's committed offset; continue where we are.
        state.synced = false;
        this.consumer?.seek({ topic, partition, offset: state.buffer.position.toString() });
      }
    }
    this.updatePauses(true);
    if (toResolve.length > 0) {
      void this.track(this.resolveStarts(toResolve)).then(() => this.resolveReadyIfPositioned());
    } else {
      this.resolveReadyIfPositioned();
    }
  }

  private newState(topic: string, partition: number): PartitionState {
    const state: PartitionState = {
      topic,
      partition,
      key: partitionKey(topic, partition),
      epoch: this.nextEpoch++,
      buffer: undefined,
      synced: false,
      paused: false,
    };
    this.states.set(state.key, state);
    return state;
  }

  /** A fresh, unpositioned state for a partition (its buffer dropped, fetching paused until positioned). */
  private replaceState(old: PartitionState): PartitionState {
    const state = this.newState(old.topic, old.partition);
    state.paused = old.paused;
    this.updatePauses();
    return state;
  }

  /** Restarts a partition at `offset` (synchronously: new epoch, empty buffer, seek). */
  private reposition(old: PartitionState, offset: bigint): void {
    const state = this.replaceState(old);
    this.activate(state, offset);
  }

  private activate(state: PartitionState, start: bigint): void {
    state.buffer = new PartitionBuffer(state.topic, state.partition, start);
    state.synced = false;
    this.consumer?.seek({ topic: state.topic, partition: state.partition, offset: start.toString() });
    this.updatePauses();
  }

  /** Finds and applies the start offset of each state (sink → group → earliest/latest), clamped into range. */
  private async resolveStarts(states: PartitionState[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const starts = await this.startOffsets(states);
        for (const state of states) {
          const start = starts.get(state.key);
          if (this.lifecycle !== 'running' && this.lifecycle !== 'starting') return;
          if (start === undefined || this.states.get(state.key) !== state) continue; // superseded meanwhile
          this.activate(state, start);
        }
        return;
      } catch (error) {
        if (attempt >= 3 || this.lifecycle === 'stopping' || this.lifecycle === 'stopped') {
          this.fail(
            new KafkaSourceError('OXBOW_KAFKA_IO', `could not resolve start offsets: ${String(error)}`, {
              cause: error,
              retriable: true,
            }),
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  }

  private async startOffsets(states: PartitionState[]): Promise<Map<string, bigint>> {
    const admin = this.admin;
    if (!admin) throw new KafkaSourceError('OXBOW_KAFKA_STATE', 'not connected');
    const result = new Map<string, bigint>();
    const byTopic = new Map<string, PartitionState[]>();
    for (const state of states) byTopic.set(state.topic, [...(byTopic.get(state.topic) ?? []), state]);
    const starting = this.options.startingOffsets;
    const reset = typeof starting === 'function' ? (this.options.offsetReset ?? 'earliest') : starting;
    for (const [topic, topicStates] of byTopic) {
      const watermarks = new Map(
        (await admin.fetchTopicOffsets(topic)).map((w) => [
          w.partition,
          { low: BigInt(w.low), high: BigInt(w.high) },
        ]),
      );
      let committed: Map<number, string> | undefined;
      for (const state of topicStates) {
        let start: bigint | undefined;
        if (typeof starting === 'function') {
          const fromSink = await starting(topic, state.partition);
          if (fromSink !== undefined) start = parseOffset(fromSink);
        }
        if (start === undefined) {
          committed ??= await this.committedOffsets(admin, topic);
          const offset = committed.get(state.partition);
          if (offset !== undefined && /^[0-9]+$/.test(offset)) start = parseOffset(offset);
        }
        const range = watermarks.get(state.partition);
        if (!range) throw new Error(`no watermarks for ${state.key}`);
        if (start === undefined) start = reset === 'latest' ? range.high : range.low;
        if (start < range.low || start > range.high) {
          this.counters.offsetResets++;
          start = start < range.low ? range.low : range.high;
        }
        result.set(state.key, start);
      }
    }
    return result;
  }

  private async committedOffsets(admin: Admin, topic: string): Promise<Map<number, string>> {
    const response = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
    const offsets = new Map<number, string>();
    for (const entry of response) {
      for (const p of entry.partitions) offsets.set(p.partition, p.offset);
    }
    return offsets;
  }

  // --- fetching ---------------------------------------------------------------------------------------------------

  /** eachBatch: synchronous, so it never interleaves with a cut or a rebalance handler. */
  private onFetched(payload: EachBatchPayload): void {
    const { batch } = payload;
    if (this.lifecycle !== 'running' && this.lifecycle !== 'starting') return;
    // A seek is pending: this data is from before it; the next fetch starts at the seek offset.
    if (payload.isStale()) return;
    const state = this.states.get(partitionKey(batch.topic, batch.partition));
    const buffer = state?.buffer;
    if (!state || !buffer) return; // not ours, or not positioned yet: not resolved, so nothing advances
    const fetchedOffset = fetchedOffsetOf(batch);
    if (!state.synced) {
      // The first fetch after a seek must start exactly there; anything else predates the seek.
      if (fetchedOffset !== buffer.position) {
        this.consumer?.seek({
          topic: state.topic,
          partition: state.partition,
          offset: buffer.position.toString(),
        });
        return;
      }
      state.synced = true;
    }
    const records: BufferedRecord[] = batch.messages.map((message) => ({
      offset: BigInt(message.offset),
      offsetText: message.offset,
      timestamp: Number(message.timestamp),
      key: message.key ?? null,
      value: message.value ?? null,
      headers: decodeHeaders(message.headers),
    }));
    buffer.append(records, BigInt(batch.lastOffset()), BigInt(batch.highWatermark));
    // Keep kafkajs's fetch position equal to ours (resolving the last message also covers trailing markers).
    payload.resolveOffset((buffer.position - 1n).toString());
    this.updatePauses();
  }

  /** Pauses partitions that are unpositioned or whose buffer is full; resumes the others. */
  private updatePauses(force = false): void {
    const consumer = this.consumer;
    if (!consumer || this.lifecycle === 'stopping' || this.lifecycle === 'stopped') return;
    for (const state of this.states.values()) {
      const shouldPause = state.buffer === undefined || state.buffer.bufferedCount >= this.maxBuffered;
      if (shouldPause === state.paused && !force) continue;
      state.paused = shouldPause;
      const target = [{ topic: state.topic, partitions: [state.partition] }];
      if (shouldPause) consumer.pause(target);
      else consumer.resume(target);
    }
  }

  // --- helpers ----------------------------------------------------------------------------------------------------

  private recordOf(state: PartitionState, raw: BufferedRecord, value: V): KafkaRecord<V> {
    return {
      topic: state.topic,
      partition: state.partition,
      offset: raw.offsetText ?? raw.offset.toString(),
      timestamp: raw.timestamp,
      key: raw.key === null ? null : raw.key.toString('utf8'),
      value,
      headers: raw.headers,
    };
  }

  /** The record deserialized, or {@link REJECTED} with the error in `lastDeserializeError` (no wrapper per record). */
  private deserialize(state: PartitionState, raw: BufferedRecord): KafkaRecord<V> | typeof REJECTED {
    const offset: Offset = raw.offsetText ?? raw.offset.toString();
    const key = raw.key === null ? null : raw.key.toString('utf8');
    const deserialize = this.options.deserialize;
    if (!deserialize) return REJECTED; // validateOptions requires one of the two
    try {
      const value = deserialize(raw.value ?? EMPTY_VALUE, {
        topic: state.topic,
        partition: state.partition,
        offset,
        timestamp: raw.timestamp,
        key,
        headers: raw.headers,
      });
      return {
        topic: state.topic,
        partition: state.partition,
        offset,
        timestamp: raw.timestamp,
        key,
        value,
        headers: raw.headers,
      };
    } catch (error) {
      this.lastDeserializeError = error;
      return REJECTED;
    }
  }

  /**
   * True when `range` (of `batch`) is of a partition still assigned to this source and not repositioned since the
   * cut. With `deserializeBatch`, a rebalance can happen while a batch is being deserialized: check each range.
   */
  ownsRange(batch: CutBatch, range: OffsetRange): boolean {
    const key = partitionKey(range.topic, range.partition);
    const epoch = this.cutEpochs.get(batch.offsetRanges)?.get(key);
    return epoch !== undefined && this.states.get(key)?.epoch === epoch;
  }

  private track(work: Promise<void>): Promise<void> {
    this.pending.add(work);
    return work.finally(() => this.pending.delete(work));
  }

  private resolveReadyIfPositioned(): void {
    if (this.fatal) return;
    for (const state of this.states.values()) if (!state.buffer) return;
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
  }

  private rejectReady(error: unknown): void {
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
  }

  private fail(error: KafkaSourceError): void {
    this.fatal ??= error;
    this.rejectReady(error);
  }
}

/**
 * A topic's effective `max.message.bytes` and its topic-level settings (a null value: one the broker hides;
 * undefined: the broker did not say which settings are the topic's own).
 */
interface TopicLimit {
  readonly value: number;
  readonly overrides: ReadonlyArray<{ name: string; value: string | null }> | undefined;
}

/** `max.message.bytes` and the topic-level settings of existing `topics`, in one request. */
async function describeMaxMessageBytes(
  admin: Admin,
  topics: readonly string[],
): Promise<Map<string, TopicLimit>> {
  const limits = new Map<string, TopicLimit>();
  if (topics.length === 0) return limits;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name })),
  });
  for (const resource of described.resources) {
    const entries = resource.configEntries;
    const value = Number(entries.find((entry) => entry.configName === MAX_MESSAGE_BYTES)?.configValue);
    if (!Number.isFinite(value) || value <= 0) continue;
    const sourced = entries.every((entry) => entry.configSource !== undefined);
    const overrides = sourced
      ? entries
          .filter((entry) => Number(entry.configSource) === TOPIC_CONFIG_SOURCE)
          .map((entry) => ({ name: entry.configName, value: entry.configValue as string | null }))
      : undefined;
    limits.set(resource.resourceName, { value, overrides });
  }
  return limits;
}

function fetchedOffsetOf(batch: EachBatchPayload['batch']): bigint {
  // kafkajs's Batch carries the offset the fetch asked for; its type declaration omits it.
  const fetched: unknown = Reflect.get(batch, 'fetchedOffset');
  return typeof fetched === 'string' ? BigInt(fetched) : -1n;
}

function decodeHeaders(headers: IHeaders | undefined): Readonly<Record<string, string>> {
  if (!headers) return NO_HEADERS;
  let decoded: Record<string, string> | undefined;
  for (const name in headers) {
    const value = headers[name];
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last === undefined) continue;
    decoded ??= {};
    decoded[name] = typeof last === 'string' ? last : last.toString('utf8');
  }
  return decoded ?? NO_HEADERS;
}

function validateOptions<V>(options: KafkaDirectSourceOptions<V>): void {
  const problems: string[] = [];
  if (options.brokers.length === 0) problems.push('brokers is empty');
  if (options.topics.length === 0) problems.push('topics is empty');
  if (options.groupId.trim() === '') problems.push('groupId is empty');
  if (!options.deserialize && !options.deserializeBatch)
    problems.push('deserialize or deserializeBatch is required');
  if (!(options.batchIntervalMs > 0))
    problems.push(`batchIntervalMs must be > 0 (got ${options.batchIntervalMs})`);
  if (options.maxRatePerPartition !== undefined && !(options.maxRatePerPartition > 0)) {
    problems.push(`maxRatePerPartition must be > 0 (got ${options.maxRatePerPartition})`);
  }
  if (options.initialRate !== undefined && !(options.initialRate > 0)) {
    problems.push(`initialRate must be > 0 (got ${options.initialRate})`);
  }
  if (options.maxBufferedPerPartition !== undefined && !(options.maxBufferedPerPartition >= 1)) {
    problems.push(`maxBufferedPerPartition must be ≥ 1 (got ${options.maxBufferedPerPartition})`);
  }
  if (problems.length > 0) {
    throw new KafkaSourceError(
      'OXBOW_KAFKA_BAD_OPTIONS',
      `invalid Kafka source options: ${problems.join('; ')}`,
    );
  }
}

/** The default of `KafkaConsumerTuning.metadataMaxAgeMs`. */
const DEFAULT_METADATA_MAX_AGE_MS = 30_000;

/** `OXBOW_KAFKA_METADATA_MAX_AGE_MS` if set (a positive integer of milliseconds), else the default. */
function metadataMaxAgeFromEnvironment(): number {
  const text = process.env.OXBOW_KAFKA_METADATA_MAX_AGE_MS?.trim() ?? '';
  if (text === '') return DEFAULT_METADATA_MAX_AGE_MS;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new KafkaSourceError(
      'OXBOW_KAFKA_BAD_OPTIONS',
      `OXBOW_KAFKA_METADATA_MAX_AGE_MS must be a positive integer of milliseconds, got '${text}'`,
    );
  }
  return value;
}
