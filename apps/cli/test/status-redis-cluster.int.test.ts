/**
 * `oxbow status` with `OXBOW_REDIS_CLUSTER=yes` reads the speed layer's status hash through the cluster client,
 * wherever its slot lives: on a private three-node cluster, under a prefix whose status key is not on the seed
 * node (a plain connection to the seed answers MOVED there).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@oxbow/config';
import { createRedisClient, type RedisClient } from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import { type PrivateRedisCluster, startPrivateRedisCluster } from '@oxbow/testing-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.ts';
import { platformStatus } from '../src/commands/status-command.ts';

describe('oxbow status on Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let clusterRedis: RedisClient;
  const dir = mkdtempSync(join(tmpdir(), 'oxbow-status-cluster-'));

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    clusterRedis = createRedisClient({ url: cluster.url, cluster: true });
    clusterRedis.on('error', () => {});
  });

  afterAll(async () => {
    clusterRedis?.disconnect();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A prefix whose status key the seed node does not own (a standalone client there is answered MOVED). */
  async function prefixOffTheSeed(): Promise<string> {
    const seed = createRedisClient({ url: cluster.url, cluster: false });
    try {
      for (let n = 0; n < 100; n++) {
        const prefix = `test:status-cluster:${n}:`;
        const moved = await seed.hgetall(new RedisLayout(prefix).status()).then(
          () => false,
          (error: unknown) => /MOVED/.test(String(error)),
        );
        if (moved) return prefix;
      }
      throw new Error('every status key was on the seed node');
    } finally {
      seed.disconnect();
    }
  }

  it('reports the speed layer from its status hash on another node', async () => {
    const prefix = await prefixOffTheSeed();
    const layout = new RedisLayout(prefix, { cluster: true });
    await clusterRedis.hset(layout.status(), {
      state: 'running',
      generation: 'g-status',
      lagRecords: '0',
      records: '1234',
    });
    const { config } = await loadConfig({
      cwd: dir,
      env: {
        OXBOW_REDIS_URL: cluster.url,
        OXBOW_REDIS_CLUSTER: 'yes',
        OXBOW_REDIS_PREFIX: prefix,
        OXBOW_ARCHIVER_HEALTH_PORT: '0',
      },
    });
    const status = await platformStatus({ config, clock: systemClock, output: { out() {}, err() {} } });
    const speed = status.parts.find((part) => part.name === 'speed');
    expect(speed, JSON.stringify(status.parts)).toMatchObject({
      state: 'running',
      ok: true,
      report: { generation: 'g-status', records: 1234 },
    });
  });
});
