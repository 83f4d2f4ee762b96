/**
 * The Redis helpers on both topologies: the local stack's standalone Redis and a private three-node Redis Cluster.
 * Keys are spread over many slots, so on the cluster every helper must reach every master.
 */
import { randomUUID } from 'node:crypto';
import { RedisLayout } from '@oxbow/contracts';
import { type PrivateRedisCluster, startPrivateRedisCluster } from '@oxbow/testing-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisClient,
  execCommands,
  hgetallBuffers,
  isRedisCluster,
  type RedisClient,
  readTopicOffsets,
  registerPartitions,
  scanKeys,
  topicPartitions,
  unlinkKeys,
} from '../src/index.ts';

const STACK_REDIS_URL = process.env.OXBOW_REDIS_URL ?? 'redis://127.0.0.1:26379';

let cluster: PrivateRedisCluster;
const clients: Record<'standalone' | 'cluster', RedisClient> = {} as never;

beforeAll(async () => {
  cluster = await startPrivateRedisCluster();
  clients.cluster = createRedisClient({ url: cluster.url, cluster: true });
  clients.standalone = createRedisClient({ url: STACK_REDIS_URL, cluster: false });
});

afterAll(async () => {
  clients.cluster?.disconnect();
  clients.standalone?.disconnect();
  await cluster?.stop();
});

describe.each(['standalone', 'cluster'] as const)('Redis helpers on %s Redis', (topology) => {
  it('scans, reads and deletes keys spread over every slot', async () => {
    const redis = clients[topology];
    expect(isRedisCluster(redis)).toBe(topology === 'cluster');
    const prefix = `oxbow-test-redis-${randomUUID().slice(0, 8)}:`;
    const keys = Array.from({ length: 200 }, (_, i) => `${prefix}k${i}`);
    const written = await execCommands(
      redis,
      keys.map((key, i) => ({ name: 'hset', args: [key, 'f', Buffer.from([i % 256])] })),
    );
    expect(written.every(([error, reply]) => error === null && reply === 1)).toBe(true);

    const seen: string[] = [];
    await scanKeys(redis, `${prefix}*`, (batch) => {
      seen.push(...batch);
    });
    expect(seen.sort()).toEqual([...keys].sort());

    const hashes = await hgetallBuffers(redis, keys, 7);
    expect(hashes.map((hash) => hash.f?.[0])).toEqual(keys.map((_, i) => i % 256));

    const replies = await execCommands(redis, [
      { name: 'hget', args: [keys[0] as string, 'f'], buffer: true },
      { name: 'get', args: [keys[1] as string] }, // WRONGTYPE: a hash
    ]);
    expect(replies[0]).toEqual([null, Buffer.from([0])]);
    expect(replies[1]?.[0]?.message).toMatch(/WRONGTYPE/);

    expect(await unlinkKeys(redis, keys)).toBe(keys.length);
    expect(await unlinkKeys(redis, [])).toBe(0);
    const left: string[] = [];
    await scanKeys(redis, `${prefix}*`, (batch) => {
      left.push(...batch);
    });
    expect(left).toEqual([]);
  });

  it('reads stored offsets and partitions in the layout of the topology', async () => {
    const redis = clients[topology];
    const layout = new RedisLayout(`oxbow-test-offsets-${randomUUID().slice(0, 8)}:`, {
      cluster: topology === 'cluster',
    });
    await registerPartitions(redis, layout, 't', [2, 0, 1]);
    for (const partition of [0, 1, 2]) {
      await redis.hset(layout.offsets('t', partition), String(partition), String(100 + partition));
    }
    expect(await topicPartitions(redis, layout, 't')).toEqual([0, 1, 2]);
    expect(await readTopicOffsets(redis, layout, 't')).toEqual({ '0': '100', '1': '101', '2': '102' });
    expect(await readTopicOffsets(redis, layout, 'other')).toEqual({});
    const owned: string[] = [];
    await scanKeys(redis, `${layout.prefix}*`, (batch) => {
      owned.push(...batch);
    });
    await unlinkKeys(redis, owned);
  });
});
