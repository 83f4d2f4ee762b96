import { S3Client } from '@aws-sdk/client-s3';
import type { OxbowConfig } from '@oxbow/config';
import { Cluster, Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

/** Options shared by the client factories. */
export interface ClientOptions {
  /** Overrides the configured address (the stack checks its own loopback ports). */
  readonly address?: string;
  /** Quiet clients fail fast and log nothing: used by health checks. */
  readonly quiet?: boolean;
  /** Log nothing, but retry as usual (stack set-up, where transient coordinator errors are expected). */
  readonly silent?: boolean;
}

/**
 * A kafkajs client for the configured brokers.
 *
 * @example
 * const admin = createKafka(config, 'oxbow-cli').admin();
 */
export function createKafka(config: OxbowConfig, clientId: string, options: ClientOptions = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: options.address ? [options.address] : [...config.kafkaBrokers],
    logLevel: options.quiet || options.silent ? logLevel.NOTHING : logLevel.WARN,
    connectionTimeout: options.quiet ? 1000 : 3000,
    requestTimeout: options.quiet ? 3000 : 30_000,
    retry: options.quiet ? { retries: 0 } : { retries: 8, initialRetryTime: 200 },
  });
}

/** An ioredis client for the configured URL; connects lazily, does not retry when `quiet`. */
export function createRedis(config: OxbowConfig, options: ClientOptions = {}): Redis {
  const redis = new Redis(options.address ?? config.redisUrl, {
    lazyConnect: true,
    connectTimeout: options.quiet ? 1000 : 5000,
    maxRetriesPerRequest: options.quiet ? 0 : 3,
    ...(options.quiet ? { retryStrategy: () => null, commandTimeout: 1500 } : {}),
  });
  redis.on('error', () => {});
  return redis;
}

/**
 * An ioredis cluster client seeded with the configured URL (or `options.address`): it learns the other nodes
 * and the slot map from that node (no auto-pipelining: in ioredis 6 it throws on `call`/`callBuffer`); connects lazily and, when `quiet`, fails fast without retrying, like {@link createRedis}.
 *
 * @example
 * const cluster = createRedisCluster(config); // OXBOW_REDIS_URL=redis://127.0.0.1:26381
 * await cluster.connect();
 */
export function createRedisCluster(config: OxbowConfig, options: ClientOptions = {}): Cluster {
  const seed = options.address ?? config.redisUrl;
  // The seed's credentials and TLS apply to every node the client discovers, not only to the seed.
  const url = new URL(seed);
  const cluster = new Cluster([seed], {
    lazyConnect: true,
    ...(options.quiet ? { clusterRetryStrategy: () => null } : {}),
    redisOptions: {
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      connectTimeout: options.quiet ? 1000 : 5000,
      maxRetriesPerRequest: options.quiet ? 0 : 3,
      ...(options.quiet ? { commandTimeout: 1500 } : {}),
    },
  });
  cluster.on('error', () => {});
  return cluster;
}

/**
 * An S3 client for the configured endpoint with path-style addressing. Request checksums are sent only
 * when an operation requires them: S3-compatible servers (S3Proxy, older MinIO) reject or ignore the
 * `x-amz-checksum-*` headers newer AWS SDKs add by default.
 */
export function createS3(config: OxbowConfig, options: ClientOptions = {}): S3Client {
  return new S3Client({
    endpoint: options.address ?? config.s3Endpoint,
    region: config.s3Region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.s3AccessKey, secretAccessKey: config.s3SecretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: options.quiet ? 1 : 3,
  });
}
