/**
 * What the speed app runs with: the user's project (topics → schemas, views, live views; setting `project`),
 * the typed settings of `@oxbow/config` (`OXBOW_SPEED_*`, `OXBOW_EPOCH_MS`, `OXBOW_REDIS_PREFIX`, …) and
 * programmatic overrides (topics, the dead-letter topic, a subset of the views, consumer timing) that tests and
 * embedders pass to `startSpeed`.
 */
import { type OxbowConfig, SETTINGS } from '@oxbow/config';
import type { KafkaConsumerTuning, OpenFileSystemOptions } from '@oxbow/connectors';
import {
  bindTopics,
  type LiveViewDefinition,
  type LiveViewSettings,
  type Project,
  type TopicBinding,
  ViewsError,
} from '@oxbow/views';
import { SpeedError } from './errors.ts';
import type { AnyView } from './increments.ts';
import { type CheckpointCadence, DEFAULT_CHECKPOINT_CADENCE } from './live-cadence.ts';
import { DEFAULT_PARSE_THREADS } from './parse-pool.ts';
import { deriveSpeedMemory, type SpeedMemory, type SpeedMemoryOverrides } from './speed-memory.ts';
import { viewFingerprintsOf, viewSetFingerprint } from './view-set.ts';

/** Overrides of `startSpeed` beyond the configuration. */
export interface SpeedOptions {
  /** The project to run. Default: the module of the `project` setting (`resolveProjectPath` + `loadProject`). */
  readonly project?: Project;
  /**
   * The Kafka topics to consume: comma-separated `TOPIC` or `TOPIC:PROJECT_TOPIC`, as `OXBOW_SPEED_TOPICS`
   * (empty: every topic of the project under its own name). Default `OXBOW_SPEED_TOPICS`.
   */
  readonly topics?: string;
  /** Where invalid records go. Default `OXBOW_SPEED_DEAD_LETTER_TOPIC`. */
  readonly deadLetterTopic?: string;
  /** Checkpoint directory. Default `<lake>/checkpoints/speed/`. */
  readonly checkpointDir?: string;
  /** The views to maintain, by name (tests). Default: every view of the project over a consumed topic. */
  readonly views?: readonly string[];
  /**
   * Settings passed to the live views, over those derived from the configuration (`false`: run no live view).
   */
  readonly liveViews?: LiveViewSettings | false;
  /** HTTP health endpoint port on `healthHost` (0: none). Default `OXBOW_SPEED_HEALTH_PORT`. */
  readonly healthPort?: number;
  /** Default `OXBOW_HEALTH_HOST` (127.0.0.1). */
  readonly healthHost?: string;
  /** Kafka consumer-group timing. Default: derived from `OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS`. */
  readonly consumer?: KafkaConsumerTuning;
  /** Wait before restarting after a failed batch (ms). Default 1000. */
  readonly restartDelayMs?: number;
  /** Memory bounds (batch, fetch buffers, cached cells). Default: derived from the heap limit. */
  readonly memory?: SpeedMemoryOverrides;
  /** How often streaming checkpoints are persisted. Default {@link DEFAULT_CHECKPOINT_CADENCE}. */
  readonly checkpointCadence?: CheckpointCadence;
  /**
   * Worker threads that parse and validate records (0: the main thread does, as it cuts each batch). Default
   * {@link DEFAULT_PARSE_THREADS}: more pay only where a batch's partitions can be parsed on idle cores.
   */
  readonly parseThreads?: number;
  /** Where progress lines go. Default: stderr. */
  readonly log?: (line: string) => void;
}

/** The resolved settings of one speed service. */
export interface SpeedSettings {
  readonly project: Project;
  readonly lake: string;
  readonly storage: OpenFileSystemOptions;
  readonly checkpointDir: string;
  readonly epochMs: number;
  readonly batchMs: number;
  readonly brokers: readonly string[];
  readonly groupId: string;
  /**
   * Records per second and partition at most (× the batch interval per batch): `OXBOW_SPEED_MAX_RATE_PER_PARTITION`
   * when set to anything but its default, else derived from memory ({@link SpeedMemory}).
   */
  readonly maxRatePerPartition: number;
  readonly memory: SpeedMemory;
  readonly checkpointCadence: CheckpointCadence;
  /** Worker threads that parse records (0: the main thread does). */
  readonly parseThreads: number;
  readonly redisUrl: string;
  /** True for Redis Cluster (`OXBOW_REDIS_CLUSTER=yes`): the cluster client and the cluster key layout. */
  readonly redisCluster: boolean;
  readonly redisPrefix: string;
  readonly manifestPollMs: number;
  /** The Kafka topics consumed, each bound to a project topic. */
  readonly bindings: readonly TopicBinding[];
  readonly deadLetterTopic: string;
  /** The views maintained (those of consumed topics, or the `views` subset), in project order. */
  readonly views: readonly AnyView[];
  /** Hash of the maintained views' sorted `name@fingerprint` list: part of the generation. */
  readonly viewsFingerprint: string;
  /** Name → fingerprint of the maintained views. */
  readonly viewFingerprints: Readonly<Record<string, string>>;
  /** The live views run (those of consumed topics; none with `liveViews: false`). */
  readonly liveViews: readonly LiveViewDefinition[];
  /** What the live views' `build` receives. */
  readonly liveSettings: LiveViewSettings;
  readonly healthPort: number;
  readonly healthHost: string;
  readonly consumer: KafkaConsumerTuning;
  readonly restartDelayMs: number;
  readonly log: (line: string) => void;
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

/**
 * `<lake>/checkpoints/speed/`, whatever the lake URL's trailing slash; `<lake>/checkpoints/speed/<instanceId>/` for a
 * named instance (several instances in one consumer group each keep their own live-view checkpoints).
 */
export function defaultCheckpointDir(lake: string, instanceId = ''): string {
  const base = `${lake.replace(/\/+$/, '')}/checkpoints/speed/`;
  return instanceId === '' ? base : `${base}${instanceId}/`;
}

/** The instance id setting, checked: letters, digits, `.`, `_` and `-` (it names a directory). */
function instanceIdOf(setting: string): string {
  const id = setting.trim();
  if (id !== '' && (!/^[A-Za-z0-9._-]{1,64}$/.test(id) || id === '.' || id === '..')) {
    throw new SpeedError(
      'OXBOW_SPEED_BAD_OPTIONS',
      `OXBOW_SPEED_INSTANCE_ID must be 1–64 letters, digits, '.', '_' or '-', got ${JSON.stringify(setting)}`,
    );
  }
  return id;
}

/**
 * The settings live views receive: the speed layer's generic live-view settings from the configuration
 * (`requestsWindowMs` ← `OXBOW_SPEED_LIVE_WINDOW_MS`, `requestsSlideMs` ← `OXBOW_SPEED_LIVE_SLIDE_MS`,
 * `sessionIdleMs` ← `OXBOW_SPEED_SESSION_IDLE_MS`, `batchMs` ← `OXBOW_SPEED_BATCH_MS`), then `overrides`.
 *
 * @example
 * ```ts
 * liveViewSettings(config, { sessionIdleMs: 600_000 }); // { requestsWindowMs: 300000, …, sessionIdleMs: 600000 }
 * ```
 */
export function liveViewSettings(config: OxbowConfig, overrides: LiveViewSettings = {}): LiveViewSettings {
  return {
    requestsWindowMs: config.speedLiveWindowMs,
    requestsSlideMs: config.speedLiveSlideMs,
    sessionIdleMs: config.speedSessionIdleMs,
    batchMs: config.speedBatchMs,
    ...overrides,
  };
}

/**
 * The per-partition rate cap: the configured one when it was changed from the setting's default, else the
 * memory-derived batch size over the batch interval (the shipped default of 20 000/s was a fixed low number that
 * capped catching up far below what the process can do).
 *
 * @example
 * ```ts
 * maxRateOf(20_000, 1000, memory); // memory.batchRecordsPerPartition
 * maxRateOf(5_000, 1000, memory); // 5000
 * ```
 */
export function maxRateOf(configured: number, batchMs: number, memory: SpeedMemory): number {
  const derived = Math.max(1, Math.floor((memory.batchRecordsPerPartition * 1000) / batchMs));
  return configured === SETTINGS.speedMaxRatePerPartition.default ? derived : configured;
}

/** The bindings of the topics setting, as `OXBOW_SPEED_BAD_OPTIONS` errors. */
function bindingsOf(project: Project, setting: string): TopicBinding[] {
  let bindings: TopicBinding[];
  try {
    bindings = bindTopics(project, setting);
  } catch (error) {
    if (!ViewsError.is(error)) throw error;
    throw new SpeedError('OXBOW_SPEED_BAD_OPTIONS', `OXBOW_SPEED_TOPICS: ${error.message}`, { cause: error });
  }
  // A view's increments are keyed by Kafka partition: two Kafka topics feeding one view would share hashes.
  const seen = new Map<string, string>();
  for (const binding of bindings) {
    const other = seen.get(binding.topic);
    if (other !== undefined) {
      throw new SpeedError(
        'OXBOW_SPEED_BAD_OPTIONS',
        `OXBOW_SPEED_TOPICS: Kafka topics ${other} and ${binding.kafkaTopic} are both read as project topic ${binding.topic}; one Kafka topic per project topic`,
      );
    }
    seen.set(binding.topic, binding.kafkaTopic);
  }
  return bindings;
}

/**
 * Resolves and checks the settings of a speed service running `project`.
 *
 * @example
 * ```ts
 * const project = await loadProject(resolveProjectPath(config.project));
 * const settings = resolveSpeedSettings(config, project, { topics: 'test-http:http_logs' });
 * ```
 */
export function resolveSpeedSettings(
  config: OxbowConfig,
  project: Project,
  options: SpeedOptions = {},
): SpeedSettings {
  const bindings = bindingsOf(project, options.topics ?? config.speedTopics);
  const consumed = new Set(bindings.map((binding) => binding.topic));
  if (options.views !== undefined) {
    for (const name of options.views) {
      if (!project.hasView(name)) {
        throw new SpeedError(
          'OXBOW_SPEED_BAD_OPTIONS',
          `unknown view "${name}" (views: ${project.views.map((view) => view.name).join(', ') || 'none'})`,
        );
      }
    }
  }
  const wanted = options.views === undefined ? undefined : new Set(options.views);
  const views = project.views.filter(
    (view) => consumed.has(view.topic) && (wanted === undefined || wanted.has(view.name)),
  ) as AnyView[];
  const liveViews =
    options.liveViews === false ? [] : project.liveViews.filter((live) => consumed.has(live.topic));
  const healthPort = options.healthPort ?? config.speedHealthPort;
  if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) {
    throw new SpeedError('OXBOW_SPEED_BAD_OPTIONS', `health port must be 0–65535, got ${healthPort}`);
  }
  const batchMs = config.speedBatchMs;
  const memory = deriveSpeedMemory(undefined, options.memory);
  const parseThreads = options.parseThreads ?? DEFAULT_PARSE_THREADS;
  if (!Number.isInteger(parseThreads) || parseThreads < 0) {
    throw new SpeedError(
      'OXBOW_SPEED_BAD_OPTIONS',
      `parseThreads must be a non-negative integer, got ${parseThreads}`,
    );
  }
  return {
    project,
    lake: config.lake,
    storage: {
      s3: {
        endpoint: config.s3Endpoint,
        region: config.s3Region,
        accessKeyId: config.s3AccessKey,
        secretAccessKey: config.s3SecretKey,
      },
    },
    checkpointDir:
      options.checkpointDir ?? defaultCheckpointDir(config.lake, instanceIdOf(config.speedInstanceId)),
    epochMs: config.epochMs,
    batchMs,
    brokers: config.kafkaBrokers,
    groupId: config.speedGroupId,
    maxRatePerPartition: maxRateOf(config.speedMaxRatePerPartition, batchMs, memory),
    memory,
    checkpointCadence: options.checkpointCadence ?? DEFAULT_CHECKPOINT_CADENCE,
    parseThreads,
    redisUrl: config.redisUrl,
    redisCluster: config.redisCluster === 'yes',
    redisPrefix: config.redisPrefix,
    manifestPollMs: config.manifestPollMs,
    bindings,
    deadLetterTopic: options.deadLetterTopic ?? config.speedDeadLetterTopic,
    views,
    viewsFingerprint: viewSetFingerprint(views),
    viewFingerprints: viewFingerprintsOf(views),
    liveViews,
    liveSettings: liveViewSettings(config, options.liveViews === false ? {} : options.liveViews),
    healthPort,
    healthHost: options.healthHost ?? config.healthHost,
    consumer: options.consumer ?? consumerTiming(config.speedKafkaSessionTimeoutMs, batchMs),
    restartDelayMs: options.restartDelayMs ?? 1000,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
}
