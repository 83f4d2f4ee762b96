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
  epochMs: { env: 'OXBOW_EPOCH_MS', type: 'integer', default: 3_600_000, min: 1000, description: 'Epoch length in milliseconds (batch/speed merge boundary)' },
  kafkaPort: port('OXBOW_KAFKA_PORT', 29092, 'Local stack: Kafka broker port'),
  kafkaControllerPort: port('OXBOW_KAFKA_CONTROLLER_PORT', 29093, 'Local stack: Kafka KRaft controller port'),
  redisPort: port('OXBOW_REDIS_PORT', 26379, 'Local stack: Redis port'),
  s3Port: port('OXBOW_S3_PORT', 29000, 'Local stack: S3-compatible server port'),
  hdfsPort: port('OXBOW_HDFS_PORT', 29870, 'Local stack: HDFS WebHDFS port (reserved)'),
  kafkaBrokers: { env: 'OXBOW_KAFKA_BROKERS', type: 'hostPortList', default: (c) => `127.0.0.1:${c.get('kafkaPort')}`, description: 'Kafka bootstrap brokers, comma-separated host:port' },
  redisUrl: { env: 'OXBOW_REDIS_URL', type: 'url', schemes: ['redis', 'rediss'], default: (c) => `redis://127.0.0.1:${c.get('redisPort')}`, description: 'Redis URL' },
  s3Endpoint: { env: 'OXBOW_S3_ENDPOINT', type: 'url', schemes: ['http', 'https'], default: (c) => `http://127.0.0.1:${c.get('s3Port')}`, description: 'S3 endpoint URL (path-style addressing)' },
  s3AccessKey: { env: 'OXBOW_S3_ACCESS_KEY', type: 'string', default: 'oxbow', description: 'S3 access key id' },
  s3SecretKey: { env: 'OXBOW_S3_SECRET_KEY', type: 'string', default: 'oxbow-secret', description: 'S3 secret access key' },
  s3Region: { env: 'OXBOW_S3_REGION', type: 'string', default: 'us-east-1', description: 'S3 region' },
  s3Bucket: { env: 'OXBOW_S3_BUCKET', type: 'string', default: 'lake', description: 'Default bucket, created by `oxbow stack up`' },
  apiHost: { env: 'OXBOW_API_HOST', type: 'string', default: '127.0.0.1', description: 'Serving API listen host' },
  apiPort: { env: 'OXBOW_API_PORT', type: 'port', default: 8080, description: 'Serving API listen port' },
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
