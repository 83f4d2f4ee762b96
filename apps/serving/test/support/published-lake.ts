/**
 * A serving app over a lake version `runBatch` published, on the real stack: a temporary `file://` lake of
 * archived HTTP logs (`writeHttpLogsLake`), one batch run of the web-analytics project, and a server with its own
 * Redis prefix and the given API keys. `close()` removes all of it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runBatch, silentProgress } from '@oxbow/batch';
import { loadConfig, type OxbowConfig } from '@oxbow/config';
import type { BatchManifest } from '@oxbow/contracts';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { Redis } from 'ioredis';
import { buildServer, type ServingServer } from '../../src/server.ts';
import { deletePrefix, exampleProject } from './fixtures.ts';
import { type WrittenLake, writeHttpLogsLake } from './lake-files.ts';

/** What {@link publishedLakeServer} made. */
export interface PublishedLakeServer {
  /** The temporary directory: the lake is `<dir>/lake`. */
  readonly dir: string;
  readonly config: OxbowConfig;
  readonly redis: Redis;
  readonly server: ServingServer;
  readonly lake: WrittenLake;
  readonly manifest: BatchManifest;
  /** Closes the server and Redis, deleting the Redis prefix and the directory. */
  close(): Promise<void>;
}

/**
 * Writes `count` HTTP logs (seed `seed`, epochs of `epochMs`, 2 partitions) into a fresh lake, publishes them with
 * `runBatch` and builds a server over them with `apiKeys`; `label` names the temporary directory and Redis prefix.
 */
export async function publishedLakeServer(options: {
  readonly label: string;
  readonly apiKeys: string;
  readonly seed: number;
  readonly epochMs: number;
  readonly count?: number;
}): Promise<PublishedLakeServer> {
  const dir = await mkdtemp(join(tmpdir(), `oxbow-serving-${options.label}-`));
  const { config } = await loadConfig({
    cwd: dir,
    noFile: true,
    env: {
      OXBOW_REDIS_PORT: process.env.OXBOW_REDIS_PORT,
      OXBOW_LAKE: `${pathToFileURL(join(dir, 'lake')).href}/`,
      OXBOW_PROJECT: WEB_ANALYTICS_PROJECT,
      OXBOW_EPOCH_MS: String(options.epochMs),
      OXBOW_BATCH_PARALLELISM: '1',
      OXBOW_REDIS_PREFIX: `oxbow-test:serving:${options.label}:${process.pid}:${Date.now()}:`,
      OXBOW_SERVING_CACHE_DIR: join(dir, 'cache'),
      OXBOW_MANIFEST_POLL_MS: '3600000',
      OXBOW_API_KEYS: options.apiKeys,
      OXBOW_API_RATE_LIMIT: '10000',
    },
  });
  const lake = await writeHttpLogsLake(config.lake, {
    count: options.count ?? 600,
    seed: options.seed,
    epochMs: options.epochMs,
    partitions: 2,
  });
  const summary = await runBatch(config, { progress: silentProgress });
  if (summary.status !== 'published' || summary.manifest === undefined) {
    throw new Error(`the batch run did not publish: ${summary.status}`);
  }
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  const server = await buildServer(config, { redis, project: exampleProject });
  return {
    dir,
    config,
    redis,
    server,
    lake,
    manifest: summary.manifest,
    async close() {
      await server.close();
      await deletePrefix(redis, config.redisPrefix);
      redis.disconnect();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
