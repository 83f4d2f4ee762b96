/**
 * One Kafka topic as the speed layer consumes it: a sink-anchored direct stream whose records are events parsed
 * by the bound project topic's schema (invalid ones are dead-lettered with their reasons), the views and live
 * views that read it, and what the stream's output operations remember between batches.
 */
import type { KafkaConsumerTuning, KafkaSourceLogEntry, Offset } from '@oxbow/connectors';
import type { StreamingContext } from '@oxbow/dataflow';
import type { AnyEvent, LiveViewDefinition, Schema, TopicBinding } from '@oxbow/views';
import type { FoldView } from './cell-store.ts';
import { SpeedError } from './errors.ts';
import type { AnyView } from './increments.ts';
import type { ParsePool } from './parse-pool.ts';
import { SinkAnchoredKafkaStream } from './sink-anchored-stream.ts';

/**
 * The deserializer of a topic: the event validated by its schema (timestamps as epoch milliseconds), or a
 * `SpeedError` (`OXBOW_SPEED_INVALID_EVENT`) listing every reason, which sends the record to the dead-letter
 * topic.
 *
 * @example
 * ```ts
 * const deserialize = eventDeserializer(project.schemaOf('http_logs'));
 * deserialize(Buffer.from('{"ts":"2026-11-24T13:05:12Z", …}')); // { ts: 1795957512000, … }
 * ```
 */
export function eventDeserializer(
  schema: Schema<AnyEvent>,
  clock: () => number = Date.now,
): (bytes: Buffer) => AnyEvent {
  return (bytes) => {
    const result = schema.parse(bytes, { now: clock() });
    if (!result.ok) throw new SpeedError('OXBOW_SPEED_INVALID_EVENT', result.reasons.join('; '));
    return result.event;
  };
}

/**
 * Records per second (over a topic's partitions) the first batches may take, before the backpressure estimator
 * has measured one: about what one core parses and folds in a second, so a backlog starts with a batch that
 * takes about one interval instead of one that runs for many (whose scheduling delay would make the estimator
 * collapse to its minimum rate while the missed batch times are caught up).
 */
export const INITIAL_RATE = 50_000;

/** Options of {@link createTopicStream}. */
export interface TopicStreamOptions {
  readonly binding: TopicBinding;
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly deadLetterTopic: string;
  readonly maxRatePerPartition: number;
  /** Fetched records buffered per partition before fetching pauses. */
  readonly maxBufferedPerPartition: number;
  readonly consumer: KafkaConsumerTuning;
  readonly startingOffsets: (topic: string, partition: number) => Promise<Offset>;
  /** Parse threads; without them, records are parsed on the main thread as they are cut. */
  readonly parsePool?: ParsePool;
  /** Where the source reports how it found, created or raised the dead-letter topic. */
  readonly log?: (entry: KafkaSourceLogEntry) => void;
}

/** A consumed topic with its views, live views and per-batch bookkeeping. */
export interface TopicStream {
  /** The project topic (schema, views) the Kafka topic is read as. */
  readonly projectTopic: string;
  readonly kafkaTopic: string;
  readonly stream: SinkAnchoredKafkaStream<AnyEvent>;
  /** The maintained views of the project topic. */
  readonly views: readonly AnyView[];
  /** The same views as the fused fold runs them. */
  readonly plans: readonly FoldView[];
  /** The live views of the project topic. */
  readonly liveViews: readonly LiveViewDefinition[];
  /** Batch times whose commit was refused: the live views skip them. */
  readonly refusedTimes: Set<number>;
  /** `metrics().deadLettered` when the previous batch was processed. */
  deadLetteredSeen: number;
}

/**
 * Creates the direct stream of one bound topic on `ssc` (group `<groupId>-<kafkaTopic>`); `plans` are the fold
 * plans of `views`.
 */
export function createTopicStream(
  ssc: StreamingContext,
  options: TopicStreamOptions,
  views: readonly AnyView[],
  plans: readonly FoldView[],
  liveViews: readonly LiveViewDefinition[],
): TopicStream {
  const { binding } = options;
  const pool = options.parsePool;
  const stream = new SinkAnchoredKafkaStream<AnyEvent>(ssc, {
    brokers: [...options.brokers],
    topics: [binding.kafkaTopic],
    groupId: `${options.groupId}-${binding.kafkaTopic}`,
    clientId: `oxbow-speed-${binding.kafkaTopic}`,
    startingOffsets: options.startingOffsets,
    ...(pool === undefined
      ? { deserialize: eventDeserializer(binding.schema) }
      : { deserializeBatch: (_topic, _partition, records) => pool.deserializeBatch(binding.topic, records) }),
    deadLetterTopic: options.deadLetterTopic,
    maxRatePerPartition: options.maxRatePerPartition,
    maxBufferedPerPartition: options.maxBufferedPerPartition,
    backpressure: false,
    initialRate: INITIAL_RATE,
    consumer: options.consumer,
    logLevel: 'nothing',
    ...(options.log ? { log: options.log } : {}),
  });
  return {
    projectTopic: binding.topic,
    kafkaTopic: binding.kafkaTopic,
    stream,
    views,
    plans,
    liveViews,
    refusedTimes: new Set(),
    deadLetteredSeen: 0,
  };
}
