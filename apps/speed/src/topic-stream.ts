/**
 * One Kafka topic as the speed layer consumes it: a sink-anchored direct stream whose records are validated
 * events (invalid ones are dead-lettered with their reasons), the views that read it, and what the stream's
 * output operations remember between batches.
 */
import type { KafkaConsumerTuning, KafkaSourceLogEntry, Offset } from '@oxbow/connectors';
import type { StreamingContext } from '@oxbow/dataflow';
import {
  type HttpLogEvent,
  type ParseResult,
  parseHttpLog,
  parseSensorReading,
  type SensorReadingEvent,
  type ViewTopic,
} from '@oxbow/views';
import { SpeedError } from './errors.ts';
import type { AnyView } from './increments.ts';
import { SinkAnchoredKafkaStream } from './sink-anchored-stream.ts';

/** The parsed event type of each event topic. */
export interface TopicEvents {
  http_logs: HttpLogEvent;
  sensor_readings: SensorReadingEvent;
}

const PARSERS: { [T in ViewTopic]: (bytes: Uint8Array, now: number) => ParseResult<TopicEvents[T]> } = {
  http_logs: (bytes, now) => parseHttpLog(bytes, { now }),
  sensor_readings: (bytes, now) => parseSensorReading(bytes, { now }),
};

/**
 * The deserializer of an event topic: the validated event, or a `SpeedError` (`OXBOW_SPEED_INVALID_EVENT`)
 * listing every reason, which sends the record to the dead-letter topic.
 */
export function eventDeserializer<T extends ViewTopic>(
  topic: T,
  clock: () => number = Date.now,
): (bytes: Buffer) => TopicEvents[T] {
  const parse = PARSERS[topic];
  return (bytes) => {
    const result = parse(bytes, clock());
    if (!result.ok) throw new SpeedError('OXBOW_SPEED_INVALID_EVENT', result.reasons.join('; '));
    return result.event;
  };
}

/** Options of {@link createTopicStream}. */
export interface TopicStreamOptions<T extends ViewTopic> {
  readonly eventTopic: T;
  readonly kafkaTopic: string;
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly deadLetterTopic: string;
  readonly maxRatePerPartition: number;
  readonly consumer: KafkaConsumerTuning;
  readonly startingOffsets: (topic: string, partition: number) => Promise<Offset>;
  /** Where the source reports how it found, created or raised the dead-letter topic. */
  readonly log?: (entry: KafkaSourceLogEntry) => void;
}

/** A consumed topic with its views and per-batch bookkeeping. */
export interface TopicStream<T extends ViewTopic = ViewTopic> {
  readonly eventTopic: T;
  readonly kafkaTopic: string;
  readonly stream: SinkAnchoredKafkaStream<TopicEvents[T]>;
  readonly views: readonly AnyView[];
  /** Batch times whose commit was refused: the live views skip them. */
  readonly refusedTimes: Set<number>;
  /** `metrics().deadLettered` when the previous batch was processed. */
  deadLetteredSeen: number;
}

/** Creates the direct stream of one event topic on `ssc`. */
export function createTopicStream<T extends ViewTopic>(
  ssc: StreamingContext,
  options: TopicStreamOptions<T>,
  views: readonly AnyView[],
): TopicStream<T> {
  const stream = new SinkAnchoredKafkaStream<TopicEvents[T]>(ssc, {
    brokers: [...options.brokers],
    topics: [options.kafkaTopic],
    groupId: `${options.groupId}-${options.kafkaTopic}`,
    clientId: `oxbow-speed-${options.eventTopic}`,
    startingOffsets: options.startingOffsets,
    deserialize: eventDeserializer(options.eventTopic),
    deadLetterTopic: options.deadLetterTopic,
    maxRatePerPartition: options.maxRatePerPartition,
    backpressure: true,
    consumer: options.consumer,
    logLevel: 'nothing',
    ...(options.log ? { log: options.log } : {}),
  });
  return {
    eventTopic: options.eventTopic,
    kafkaTopic: options.kafkaTopic,
    stream,
    views,
    refusedTimes: new Set(),
    deadLetteredSeen: 0,
  };
}
