/**
 * One serving instance per test file over a temporary lake and a test-specific Redis prefix.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '@oxbow/config';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { Redis } from 'ioredis';
import { ADMIN_KEY_FILE } from '../../src/access.ts';
import type { ServingConfig } from '../../src/server.ts';
import { deletePrefix } from './fixtures.ts';

/** A temporary lake, cache directory, Redis client and key prefix; `cleanup` removes them all. */
export interface TestEnvironment {
  readonly lakeDir: string;
  readonly prefix: string;
  readonly redis: Redis;
  readonly config: ServingConfig;
  /** The configuration with some settings replaced. */
  with(overrides: Partial<ServingConfig>): ServingConfig;
  cleanup(): Promise<void>;
}

/**
 * Creates a {@link TestEnvironment}; manifest polling is effectively off (tests call `batch.refresh()`), and the
 * `project` setting names the web-analytics example.
 */
export async function testEnvironment(name: string): Promise<TestEnvironment> {
  const root = mkdtempSync(join(tmpdir(), `oxbow-serving-${name}-`));
  const lakeDir = join(root, 'lake');
  const prefix = `oxbow-test:serving:${name}:${process.pid}:${Date.now()}:`;
  const { config: loaded } = await loadConfig({
    cwd: root,
    env: {
      OXBOW_REDIS_PORT: process.env.OXBOW_REDIS_PORT,
      OXBOW_LAKE: `${pathToFileURL(lakeDir).href}/`,
      OXBOW_REDIS_PREFIX: prefix,
      OXBOW_SERVING_CACHE_DIR: join(root, 'cache'),
      OXBOW_MANIFEST_POLL_MS: '3600000',
      OXBOW_PROJECT: WEB_ANALYTICS_PROJECT,
    },
  });
  const config: ServingConfig = loaded;
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  return {
    lakeDir,
    prefix,
    redis,
    config,
    with: (overrides) => ({ ...config, ...overrides }),
    cleanup: async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The admin key a server generated in `stateDir` (no admin key configured). */
export function generatedAdminKey(stateDir: string): string {
  return readFileSync(join(stateDir, ADMIN_KEY_FILE), 'utf8').trim();
}
