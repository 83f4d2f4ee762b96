import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The value kinds a setting can have; each parses and validates its raw text in `parse.ts`. */
export type SettingType = 'string' | 'integer' | 'port' | 'url' | 'path' | 'hostPortList';

/** What a default may depend on: the working directory, the home directory and settings declared above it. */
export interface DefaultContext {
  readonly cwd: string;
  readonly homeDir: string;
  /** The resolved value of a setting declared earlier in {@link SETTINGS}. */
  get(name: string): unknown;
}

/** One row of the settings table. */
export interface SettingSpec {
  readonly env: string;
  readonly type: SettingType;
  readonly default: string | number | ((context: DefaultContext) => string | number);
  readonly min?: number;
  readonly max?: number;
  /** For `string`: the empty string is a valid value (meaning "the default behaviour"). */
  readonly allowEmpty?: boolean;
  /** For `url`: the accepted schemes, without the colon. */
  readonly schemes?: readonly string[];
  readonly description: string;
}

const port = (env: string, value: number, description: string) =>
  ({ env, type: 'port', default: value, description }) as const;

/**
 * Every Oxbow setting, one line each: its environment variable, type, default, bounds and meaning.
 * Order matters only for defaults that read earlier settings (e.g. `kafkaBrokers` follows `kafkaPort`).
 * The flag of a setting is its name in kebab case (`kafkaBrokers` → `--kafka-brokers`).
 */
// biome-ignore format: the table reads best with one setting per line.
export const SETTINGS = {
  stateDir: { env: 'OXBOW_STATE_DIR', type: 'path', default: (c) => join(c.cwd, '.oxbow'), description: 'Directory for local stack data, logs and PID files' },
  jarCache: { env: 'OXBOW_JAR_CACHE', type: 'path', default: (c) => join(c.homeDir, '.cache', 'oxbow', 'jars'), description: 'Cache of jars fetched from Maven Central' },
  lake: { env: 'OXBOW_LAKE', type: 'url', schemes: ['file', 's3', 'hdfs'], default: (c) => `${pathToFileURL(join(c.cwd, '.oxbow', 'lake')).href}/`, description: 'Root URL of the master dataset (file://, s3://, hdfs://)' },
  project: { env: 'OXBOW_PROJECT', type: 'string', allowEmpty: true, default: '', description: 'The project module (schemas, views, live views); empty = ./oxbow.project.ts if present, else the bundled web-analytics example' },
  epochMs: { env: 'OXBOW_EPOCH_MS', type: 'integer', default: 3_600_000, min: 1000, description: 'Epoch length in milliseconds (batch/speed merge boundary)' },
  kafkaPort: port('OXBOW_KAFKA_PORT', 29092, 'Local stack: Kafka broker port'),
  kafkaControllerPort: port('OXBOW_KAFKA_CONTROLLER_PORT', 29093, 'Local stack: Kafka KRaft controller port'),
  redisPort: port('OXBOW_REDIS_PORT', 26379, 'Local stack: Redis port'),
  s3Port: port('OXBOW_S3_PORT', 29000, 'Local stack: S3-compatible server port'),
  hdfsPort: port('OXBOW_HDFS_PORT', 29870, 'Local stack: HDFS WebHDFS port (reserved)'),
  hdfsRpcPort: port('OXBOW_HDFS_RPC_PORT', 29820, 'Local stack: HDFS NameNode RPC port (`stack up --with hdfs`)'),
  kafkaBrokers: { env: 'OXBOW_KAFKA_BROKERS', type: 'hostPortList', default: (c) => `127.0.0.1:${c.get('kafkaPort')}`, description: 'Kafka bootstrap brokers, comma-separated host:port' },
  redisUrl: { env: 'OXBOW_REDIS_URL', type: 'url', schemes: ['redis', 'rediss'], default: (c) => `redis://127.0.0.1:${c.get('redisPort')}`, description: 'Redis URL' },
  s3Endpoint: { env: 'OXBOW_S3_ENDPOINT', type: 'url', schemes: ['http', 'https'], default: (c) => `http://127.0.0.1:${c.get('s3Port')}`, description: 'S3 endpoint URL (path-style addressing)' },
  s3AccessKey: { env: 'OXBOW_S3_ACCESS_KEY', type: 'string', default: 'oxbow', description: 'S3 access key id' },
  s3SecretKey: { env: 'OXBOW_S3_SECRET_KEY', type: 'string', default: 'oxbow-secret', description: 'S3 secret access key' },
  s3Region: { env: 'OXBOW_S3_REGION', type: 'string', default: 'us-east-1', description: 'S3 region' },
  s3Bucket: { env: 'OXBOW_S3_BUCKET', type: 'string', default: 'lake', description: 'Default bucket, created by `oxbow stack up`' },
  apiHost: { env: 'OXBOW_API_HOST', type: 'string', default: '127.0.0.1', description: 'Serving API listen host' },
  apiPort: { env: 'OXBOW_API_PORT', type: 'port', default: 8080, description: 'Serving API listen port' },
  redisCluster: { env: 'OXBOW_REDIS_CLUSTER', type: 'string', default: 'no', description: 'Redis Cluster: "yes" makes the speed and serving layers use ioredis\'s cluster client with OXBOW_REDIS_URL as the seed node and the cluster key layout (each Kafka partition\'s keys share a hash slot); "no" for one standalone Redis' },
  redisClusterPort: port('OXBOW_REDIS_CLUSTER_PORT', 26381, 'Local stack: first port of the three-node Redis Cluster (`stack up --with redis-cluster`; it uses this port and the next two)'),
  redisPrefix: { env: 'OXBOW_REDIS_PREFIX', type: 'string', default: 'oxbow:', description: 'Prefix of every Redis key the speed and serving layers use' },
  apiKeys: { env: 'OXBOW_API_KEYS', type: 'string', default: 'none', description: 'API keys of the serving and ingest APIs, comma-separated KEY:SCOPE (scope read, ingest or admin); none = no key required' },
  apiMaxRangeDays: { env: 'OXBOW_API_MAX_RANGE_DAYS', type: 'integer', default: 366, min: 1, description: 'Serving API: longest from..to range a query may ask for, in days' },
  apiRateLimit: { env: 'OXBOW_API_RATE_LIMIT', type: 'integer', default: 600, min: 1, description: 'Serving API: requests per minute per API key (per client address without keys)' },
  apiRequestTimeoutMs: { env: 'OXBOW_API_REQUEST_TIMEOUT_MS', type: 'integer', default: 10_000, min: 100, description: 'Serving API: time limit of one request, in milliseconds' },
  apiAllowOpen: { env: 'OXBOW_API_ALLOW_OPEN', type: 'string', default: 'no', description: 'Serving API: "yes" lets it listen on a non-loopback apiHost without API keys (only behind a boundary you trust, e.g. a container port published on 127.0.0.1); "no" refuses that start' },
  apiMaxConnections: { env: 'OXBOW_API_MAX_CONNECTIONS', type: 'integer', default: 1024, min: 1, description: 'Serving API: open client connections at most; further connections are closed at once' },
  logLevel: { env: 'OXBOW_LOG_LEVEL', type: 'string', default: 'info', description: 'JSON log level of the apps that log with pino (serving): fatal, error, warn, info, debug, trace or silent; per-request lines are debug' },
  manifestPollMs: { env: 'OXBOW_MANIFEST_POLL_MS', type: 'integer', default: 5000, min: 50, description: 'Serving API: how often the batch manifest is polled, in milliseconds' },
  servingCacheDir: { env: 'OXBOW_SERVING_CACHE_DIR', type: 'path', default: (c) => join(String(c.get('stateDir')), 'serving-cache'), description: 'Serving API: local copies of the batch DuckDB files' },
  batchParallelism: { env: 'OXBOW_BATCH_PARALLELISM', type: 'integer', default: () => availableParallelism(), min: 1, description: 'Batch: worker threads of a run (default: the number of cores)' },
  batchKeepRuns: { env: 'OXBOW_BATCH_KEEP_RUNS', type: 'integer', default: 3, min: 1, description: 'Batch: successful batch-view versions kept; older ones are deleted after a run' },
  batchLockTtlMs: { env: 'OXBOW_BATCH_LOCK_TTL_MS', type: 'integer', default: 120_000, min: 1000, description: 'Batch: a run lock not refreshed for this long is stale and may be taken over' },
  batchParts: { env: 'OXBOW_BATCH_PARTS', type: 'integer', default: 1, min: 1, description: 'Batch across machines: the number of parts N of `oxbow batch run --index I` (a Kubernetes Indexed Job\'s completions) and of `oxbow batch merge`; `--count N` overrides it' },
  batchRunId: { env: 'OXBOW_BATCH_RUN_ID', type: 'string', allowEmpty: true, default: '', description: 'Batch across machines: the id the parts and the merge of one run share (letters, digits, . _ -), their staging prefix views/_parts/<id>/; empty = w<E>, the watermark epoch the run computes to' },
  batchHealthPort: { env: 'OXBOW_BATCH_HEALTH_PORT', type: 'integer', default: 8093, min: 0, max: 65535, description: 'Batch: `oxbow batch schedule` serves GET /healthz and GET /metrics (Prometheus) on this port of OXBOW_HEALTH_HOST; 0 = none' },
  batchMetricsFile: { env: 'OXBOW_BATCH_METRICS_FILE', type: 'string', allowEmpty: true, default: '', description: "Batch: after every run, write the batch metrics to this file in the Prometheus text format (node_exporter's textfile collector, e.g. /var/lib/node_exporter/textfile/oxbow_batch.prom); empty = none" },
  archiverTopics: { env: 'OXBOW_ARCHIVER_TOPICS', type: 'string', allowEmpty: true, default: '', description: "Archiver: Kafka topics to archive, comma-separated TOPIC or TOPIC:PROJECT_TOPIC (read a renamed topic as one of the project's); empty = every topic of the project" },
  archiverGroupId: { env: 'OXBOW_ARCHIVER_GROUP_ID', type: 'string', default: 'oxbow-archiver', description: 'Archiver: Kafka consumer group (one per lake)' },
  archiverRollRows: { env: 'OXBOW_ARCHIVER_ROLL_ROWS', type: 'integer', default: 8_000_000, min: 1, description: 'Archiver: the open file of a partition is published at this many rows (besides at the end of its epoch)' },
  archiverRollBytes: { env: 'OXBOW_ARCHIVER_ROLL_BYTES', type: 'integer', default: 1024 * 1024 * 1024, min: 1, description: 'Archiver: … or at this many bytes of record values (JSON; about 64 MiB of zstd Parquet for access logs)' },
  archiverRollMs: { env: 'OXBOW_ARCHIVER_ROLL_MS', type: 'integer', default: 3_600_000, min: 10, description: 'Archiver: … or this many milliseconds after its first record' },
  archiverHealthPort: { env: 'OXBOW_ARCHIVER_HEALTH_PORT', type: 'integer', default: 8092, min: 0, max: 65535, description: 'Archiver: HTTP port of GET /healthz and GET /metrics (Prometheus), on OXBOW_HEALTH_HOST; 0 = none' },
  speedBatchMs: { env: 'OXBOW_SPEED_BATCH_MS', type: 'integer', default: 1000, min: 10, description: 'Speed: micro-batch interval in milliseconds' },
  speedGroupId: { env: 'OXBOW_SPEED_GROUP_ID', type: 'string', default: 'oxbow-speed', description: 'Speed: Kafka consumer group prefix (one group per topic: <prefix>-<topic>)' },
  speedInstanceId: { env: 'OXBOW_SPEED_INSTANCE_ID', type: 'string', allowEmpty: true, default: '', description: 'Speed: this instance\'s name when several share the consumer group (letters, digits, . _ -); its checkpoints go to <lake>/checkpoints/speed/<id>/; empty = a single instance, <lake>/checkpoints/speed/' },
  speedMaxRatePerPartition: { env: 'OXBOW_SPEED_MAX_RATE_PER_PARTITION', type: 'integer', default: 20_000, min: 1, description: 'Speed: records per second and partition at most (backpressure adapts below it)' },
  speedHealthPort: { env: 'OXBOW_SPEED_HEALTH_PORT', type: 'integer', default: 8091, min: 0, max: 65535, description: 'Speed: HTTP port of GET /health and GET /metrics (Prometheus), on OXBOW_HEALTH_HOST (0 = none; status is also in Redis)' },
  healthHost: { env: 'OXBOW_HEALTH_HOST', type: 'string', default: '127.0.0.1', description: 'Host the health and metrics endpoints of the speed layer, the archiver and `oxbow batch schedule` listen on (0.0.0.0 lets a Prometheus in another pod or host scrape them)' },
  speedLiveWindowMs: { env: 'OXBOW_SPEED_LIVE_WINDOW_MS', type: 'integer', default: 300_000, min: 10, description: 'Speed: live views read it as settings.requestsWindowMs (a request-rate window), in milliseconds' },
  speedLiveSlideMs: { env: 'OXBOW_SPEED_LIVE_SLIDE_MS', type: 'integer', default: 10_000, min: 10, description: 'Speed: live views read it as settings.requestsSlideMs (that window\'s slide), in milliseconds' },
  speedTopics: { env: 'OXBOW_SPEED_TOPICS', type: 'string', allowEmpty: true, default: '', description: "Speed: Kafka topics to consume, comma-separated TOPIC or TOPIC:PROJECT_TOPIC (read a renamed topic as one of the project's); empty = every topic of the project" },
  speedDeadLetterTopic: { env: 'OXBOW_SPEED_DEAD_LETTER_TOPIC', type: 'string', default: 'oxbow_dead_letter', description: 'Speed: topic invalid records are sent to, with the reason in header oxbow-error' },
  speedKafkaSessionTimeoutMs: { env: 'OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS', type: 'integer', default: 10_000, min: 1000, description: 'Speed: Kafka consumer session timeout (a crashed instance\'s partitions move after it)' },
  speedSessionIdleMs: { env: 'OXBOW_SPEED_SESSION_IDLE_MS', type: 'integer', default: 1_800_000, min: 10, description: 'Speed: live views read it as settings.sessionIdleMs (a session idle timeout), in milliseconds' },
  ingestHost: { env: 'OXBOW_INGEST_HOST', type: 'string', default: '127.0.0.1', description: 'Ingest gateway: HTTP listen host' },
  ingestPort: { env: 'OXBOW_INGEST_PORT', type: 'port', default: 8090, description: 'Ingest gateway: HTTP listen port (POST /v1/ingest/:topic)' },
  ingestMaxBodyBytes: { env: 'OXBOW_INGEST_MAX_BODY_BYTES', type: 'integer', default: 8 * 1024 * 1024, min: 1024, description: 'Ingest gateway: largest request body, in bytes (413 above it)' },
  ingestMaxRecordBytes: { env: 'OXBOW_INGEST_MAX_RECORD_BYTES', type: 'integer', default: 1_000_000, min: 256, description: "Ingest gateway: largest record accepted (its JSON, in bytes), and the most bytes of records in one Kafka produce request; keep it below the topics' max.message.bytes" },
  ingestMaxInFlightRecords: { env: 'OXBOW_INGEST_MAX_IN_FLIGHT_RECORDS', type: 'integer', default: 100_000, min: 1, description: 'Ingest gateway: records received and not yet acknowledged by Kafka at most; beyond it requests get 429 and source messages are dropped' },
  ingestMaxInFlightBytes: { env: 'OXBOW_INGEST_MAX_IN_FLIGHT_BYTES', type: 'integer', default: 64 * 1024 * 1024, min: 1024, description: 'Ingest gateway: … and request bytes held at most (a request body is counted from its arrival)' },
  ingestAckTimeoutMs: { env: 'OXBOW_INGEST_ACK_TIMEOUT_MS', type: 'integer', default: 30_000, min: 100, description: "Ingest gateway: a request not acknowledged by Kafka within this many milliseconds is answered 503 (its records may still arrive: retry, at least once)" },
  ingestRateLimit: { env: 'OXBOW_INGEST_RATE_LIMIT', type: 'integer', default: 0, min: 0, description: 'Ingest gateway: requests per minute per API key (per client address without keys); 0 = no limit' },
  ingestSyslogHost: { env: 'OXBOW_INGEST_SYSLOG_HOST', type: 'string', default: '127.0.0.1', description: 'Ingest gateway: syslog listen host (0.0.0.0 accepts other hosts)' },
  ingestSyslogUdpPort: { env: 'OXBOW_INGEST_SYSLOG_UDP_PORT', type: 'integer', default: 0, min: 0, max: 65535, description: 'Ingest gateway: syslog UDP port (RFC 5426); 0 = off' },
  ingestSyslogTcpPort: { env: 'OXBOW_INGEST_SYSLOG_TCP_PORT', type: 'integer', default: 0, min: 0, max: 65535, description: 'Ingest gateway: syslog TCP port (RFC 6587, octet counting or LF framing); 0 = off' },
  ingestSyslogTopic: { env: 'OXBOW_INGEST_SYSLOG_TOPIC', type: 'string', allowEmpty: true, default: '', description: 'Ingest gateway: the project topic syslog messages are mapped to and produced to (needed with a syslog port)' },
  ingestMqttUrl: { env: 'OXBOW_INGEST_MQTT_URL', type: 'string', allowEmpty: true, default: '', description: 'Ingest gateway: MQTT broker URL (mqtt://, mqtts://, ws://, wss://; credentials as mqtt://user:password@host); empty = off' },
  ingestMqttTopics: { env: 'OXBOW_INGEST_MQTT_TOPICS', type: 'string', allowEmpty: true, default: '', description: 'Ingest gateway: comma-separated MQTT_FILTER:TOPIC — messages of the MQTT filter (+ and # allowed) go to the project topic TOPIC' },
  ingestMqttClientId: { env: 'OXBOW_INGEST_MQTT_CLIENT_ID', type: 'string', default: 'oxbow-ingest', description: 'Ingest gateway: MQTT client id, the key of its persistent session (QoS 1): one per gateway instance' },
  ingestSourceBatchMs: { env: 'OXBOW_INGEST_SOURCE_BATCH_MS', type: 'integer', default: 100, min: 10, description: 'Ingest gateway: syslog and MQTT messages received are sent to Kafka every this many milliseconds' },
} as const satisfies Record<string, SettingSpec>;

/** The name of a setting (a key of {@link SETTINGS}). */
export type SettingName = keyof typeof SETTINGS;

/** The TypeScript type a setting type resolves to. */
export interface SettingValueTypes {
  string: string;
  integer: number;
  port: number;
  url: string;
  path: string;
  hostPortList: readonly string[];
}

/** The resolved, typed configuration every app receives. */
export type OxbowConfig = {
  readonly [K in SettingName]: SettingValueTypes[(typeof SETTINGS)[K]['type']];
};

/** All setting names, in table order. */
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** The spec of a setting, widened to {@link SettingSpec}. */
export function settingSpec(name: SettingName): SettingSpec {
  return SETTINGS[name];
}

/** The command-line flag of a setting: its name in kebab case, e.g. `kafkaBrokers` → `kafka-brokers`. */
export function flagOf(name: SettingName): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** True when `name` is a setting name. */
export function isSettingName(name: string): name is SettingName {
  return Object.hasOwn(SETTINGS, name);
}
