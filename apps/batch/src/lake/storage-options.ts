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
 * How to open the lake: the S3 endpoint and credentials of the configuration (path-style addressing, as the
 * local S3Proxy and MinIO need). Plain data, so it can be shipped to worker threads.
 */
export function storageOptionsOf(config: BatchConfig): OpenFileSystemOptions {
  return {
    s3: {
      endpoint: config.s3Endpoint,
      region: config.s3Region,
      accessKeyId: config.s3AccessKey,
      secretAccessKey: config.s3SecretKey,
      forcePathStyle: true,
    },
  };
}
