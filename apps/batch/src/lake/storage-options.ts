import type { OxbowConfig } from '@oxbow/config';
import type { OpenFileSystemOptions } from '@oxbow/connectors';

/** The settings the batch app reads. */
export type BatchConfig = Pick<
  OxbowConfig,
  | 'lake'
  | 'epochMs'
  | 's3Endpoint'
  | 's3AccessKey'
  | 's3SecretKey'
  | 's3Region'
  | 'batchParallelism'
  | 'batchKeepRuns'
  | 'batchLockTtlMs'
> &
  /**
   * `archiverTopics`: the Kafka topics archived as each project topic (`TOPIC:PROJECT_TOPIC` renames where a
   * topic lies in the lake), default every project topic under its own name. `project`: the project module
   * (default `./oxbow.project.ts` if present, else the bundled example; see `resolveProjectPath`).
   */
  Partial<Pick<OxbowConfig, 'archiverTopics' | 'project'>>;

/**
 * Attempts of each S3 request of a batch run: exponential back-off with jitter spreads 15 of them over about a
 * minute, so a run rides out an S3 endpoint that restarts (as the archiver does) instead of failing and leaving the
 * next run to wait for its lock to expire; a minute stays well within the lock's TTL (`batchLockTtlMs`).
 */
const BATCH_S3_ATTEMPTS = 15;

/**
 * How to open the lake: the S3 endpoint and credentials of the configuration (path-style addressing, as the
 * local S3Proxy and MinIO need), each request retried ({@link BATCH_S3_ATTEMPTS}). Plain data, so it can be
 * shipped to worker threads.
 */
export function storageOptionsOf(config: BatchConfig): OpenFileSystemOptions {
  return {
    s3: {
      endpoint: config.s3Endpoint,
      region: config.s3Region,
      accessKeyId: config.s3AccessKey,
      secretAccessKey: config.s3SecretKey,
      forcePathStyle: true,
      maxAttempts: BATCH_S3_ATTEMPTS,
    },
  };
}
