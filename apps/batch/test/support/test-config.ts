import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import type { BatchConfig } from '../../src/lake/storage-options.ts';

/**
 * A batch configuration for tests: the web-analytics example as the project, the stack's S3 settings,
 * parallelism 1 unless told otherwise.
 */
export function testConfig(lake: string, overrides: Partial<BatchConfig> = {}): BatchConfig {
  return {
    lake,
    project: WEB_ANALYTICS_PROJECT,
    epochMs: 30_000,
    s3Endpoint: process.env.OXBOW_S3_ENDPOINT ?? `http://127.0.0.1:${process.env.OXBOW_S3_PORT ?? 29000}`,
    s3AccessKey: process.env.OXBOW_S3_ACCESS_KEY ?? 'oxbow',
    s3SecretKey: process.env.OXBOW_S3_SECRET_KEY ?? 'oxbow-secret',
    s3Region: process.env.OXBOW_S3_REGION ?? 'us-east-1',
    batchParallelism: 1,
    batchKeepRuns: 3,
    batchLockTtlMs: 60_000,
    ...overrides,
  };
}
