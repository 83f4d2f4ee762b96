/**
 * What the speed app runs with: the typed settings of `@oxbow/config` (`OXBOW_SPEED_*`, `OXBOW_EPOCH_MS`,
 * `OXBOW_REDIS_PREFIX`, …) plus programmatic overrides (topic names, the dead-letter topic, consumer timing)
 * that tests and embedders pass to `startSpeed`.
 */
import type { OxbowConfig } from '@oxbow/config';
import type { KafkaConsumerTuning, OpenFileSystemOptions } from '@oxbow/connectors';
import { parseTopicBindings } from '@oxbow/contracts';
import { type LiveViewOptions, VIEW_NAMES, type ViewName, type ViewTopic } from '@oxbow/views';
import { SpeedError } from './errors.ts';

/** Overrides of `startSpeed` beyond the configuration. */
export interface SpeedOptions {
  /** The Kafka topic carrying each event topic. Default `OXBOW_SPEED_TOPICS`. */
  readonly topics?: Partial<Record<ViewTopic, string>>;
  /** Where invalid records go. Default `OXBOW_SPEED_DEAD_LETTER_TOPIC`. */
  readonly deadLetterTopic?: string;
  /** Checkpoint directory. Default `<lake>/checkpoints/speed/`. */
  readonly checkpointDir?: string;
  /** The incremental views to maintain. Default: every view of `@oxbow/views`. */
  readonly views?: readonly ViewName[];
  /** Live views (`false`: none); durations default to the settings. */
  readonly liveViews?: LiveViewOptions | false;
  /** HTTP health endpoint port on `healthHost` (0: none). Default `OXBOW_SPEED_HEALTH_PORT`. */
  readonly healthPort?: number;
  /** Default `127.0.0.1`. */
  readonly healthHost?: string;
  /** Kafka consumer-group timing. Default: derived from `OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS`. */
  readonly consumer?: KafkaConsumerTuning;
  /** Wait before restarting after a failed batch (ms). Default 1000. */
  readonly restartDelayMs?: number;
  /** Where progress lines go. Default: stderr. */
  readonly log?: (line: string) => void;
}

/** The resolved settings of one speed service. */
export interface SpeedSettings {
  readonly lake: string;
  readonly storage: OpenFileSystemOptions;
  readonly checkpointDir: string;
  readonly epochMs: number;
  readonly batchMs: number;
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly maxRatePerPartition: number;
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly manifestPollMs: number;
  /** The Kafka topic of each event topic consumed (an event topic not listed is not consumed). */
  readonly topics: Readonly<Partial<Record<ViewTopic, string>>>;
  readonly deadLetterTopic: string;
  readonly views: readonly ViewName[];
  readonly liveViews: LiveViewOptions | false;
  readonly healthPort: number;
  readonly healthHost: string;
  readonly consumer: KafkaConsumerTuning;
  readonly restartDelayMs: number;
  readonly log: (line: string) => void;
}

/**
 * Reads `OXBOW_SPEED_TOPICS` (comma-separated `TOPIC` or `TOPIC:SCHEMA`, parsed by `parseTopicBindings` of
 * `@oxbow/contracts`) into the Kafka topic of each event topic; the schema must be one the views read
 * (`http_logs`, `sensor_readings`), and one Kafka topic per event topic.
 *
 * @example
 * ```ts
 * parseSpeedTopics('web-logs:http_logs,sensor_readings'); // { http_logs: 'web-logs', sensor_readings: 'sensor_readings' }
 * ```
 */
export function parseSpeedTopics(text: string): Partial<Record<ViewTopic, string>> {
  const topics: Partial<Record<ViewTopic, string>> = {};
  for (const { topic, schema } of parseTopicBindings(text, 'OXBOW_SPEED_TOPICS')) {
    if (schema !== 'http_logs' && schema !== 'sensor_readings') {
      throw new SpeedError(
        'OXBOW_SPEED_BAD_OPTIONS',
        `OXBOW_SPEED_TOPICS: topic ${topic} has schema "${schema}"; the schema must be http_logs or sensor_readings`,
      );
    }
    if (topics[schema] !== undefined) {
      throw new SpeedError('OXBOW_SPEED_BAD_OPTIONS', `OXBOW_SPEED_TOPICS names two topics for ${schema}`);
    }
    topics[schema] = topic;
  }
  return topics;
}

/** Consumer-group timing derived from the session timeout. */
export function consumerTiming(sessionTimeoutMs: number, batchMs: number): KafkaConsumerTuning {
  return {
    sessionTimeoutMs,
    heartbeatIntervalMs: Math.max(100, Math.min(3000, Math.floor(sessionTimeoutMs / 6))),
    rebalanceTimeoutMs: Math.max(3000, Math.round(sessionTimeoutMs * 1.5)),
    maxWaitTimeMs: Math.max(50, Math.min(200, Math.floor(batchMs / 5))),
  };
}

/** `<lake>/checkpoints/speed/`, whatever the lake URL's trailing slash. */
export function defaultCheckpointDir(lake: string): string {
  return `${lake.replace(/\/+$/, '')}/checkpoints/speed/`;
}

/**
 * Resolves and checks the settings of a speed service.
 *
 * @example
 * ```ts
 * const settings = resolveSpeedSettings((await loadConfig()).config, { topics: { http_logs: 'test-http' } });
 * ```
 */
export function resolveSpeedSettings(config: OxbowConfig, options: SpeedOptions = {}): SpeedSettings {
  const views = options.views ?? VIEW_NAMES;
  for (const name of views) {
    if (!VIEW_NAMES.includes(name)) {
      throw new SpeedError(
        'OXBOW_SPEED_BAD_OPTIONS',
        `unknown view "${name}" (views: ${VIEW_NAMES.join(', ')})`,
      );
    }
  }
  const liveViews: LiveViewOptions | false =
    options.liveViews === false
      ? false
      : {
          requestsWindowMs: config.speedLiveWindowMs,
          requestsSlideMs: config.speedLiveSlideMs,
          sessionIdleMs: config.speedSessionIdleMs,
          ...options.liveViews,
        };
  const batchMs = config.speedBatchMs;
  if (liveViews) {
    const window = liveViews.requestsWindowMs ?? 0;
    const slide = liveViews.requestsSlideMs ?? 0;
    if (slide % batchMs !== 0 || window % slide !== 0 || slide <= 0) {
      throw new SpeedError(
        'OXBOW_SPEED_BAD_OPTIONS',
        `live window ${window} ms and slide ${slide} ms must be multiples of the slide and of the batch interval ${batchMs} ms`,
      );
    }
  }
  const healthPort = options.healthPort ?? config.speedHealthPort;
  if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) {
    throw new SpeedError('OXBOW_SPEED_BAD_OPTIONS', `health port must be 0–65535, got ${healthPort}`);
  }
  return {
    lake: config.lake,
    storage: {
      s3: {
        endpoint: config.s3Endpoint,
        region: config.s3Region,
        accessKeyId: config.s3AccessKey,
        secretAccessKey: config.s3SecretKey,
      },
    },
    checkpointDir: options.checkpointDir ?? defaultCheckpointDir(config.lake),
    epochMs: config.epochMs,
    batchMs,
    brokers: config.kafkaBrokers,
    groupId: config.speedGroupId,
    maxRatePerPartition: config.speedMaxRatePerPartition,
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
    manifestPollMs: config.manifestPollMs,
    topics: options.topics ?? parseSpeedTopics(config.speedTopics),
    deadLetterTopic: options.deadLetterTopic ?? config.speedDeadLetterTopic,
    views,
    liveViews,
    healthPort,
    healthHost: options.healthHost ?? '127.0.0.1',
    consumer: options.consumer ?? consumerTiming(config.speedKafkaSessionTimeoutMs, batchMs),
    restartDelayMs: options.restartDelayMs ?? 1000,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
}
