/**
 * The speed layer on Redis Cluster (a private three-node cluster, `OXBOW_REDIS_CLUSTER=yes`): each Kafka
 * partition's commit is one script in one hash slot (the cluster layout's hash tags), so the partitions' keys
 * spread over the nodes; a replayed or stale commit is refused per partition; `oxbow speed` killed with SIGKILL
 * mid-stream resumes from each partition's stored offset and ends with increments equal to the DuckDB oracle.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisClient, type RedisClient } from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import {
  generateHttpLogs,
  generateSensorReadings,
  WEB_ANALYTICS_PROJECT,
} from '@oxbow/example-web-analytics';
import { type PrivateRedisCluster, startPrivateRedisCluster } from '@oxbow/testing-tools';
import { loadProject } from '@oxbow/views';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommitLimits, type CommitRequest, commitBatch } from '../src/commit-script.ts';
import { expectAllViewsMatchOracle, oracleOf } from './support/oracle-comparison.ts';
import {
  committedOffsets,
  createTestNames,
  produce,
  removeTestState,
  scanKeys,
  startSpeedCli,
  testEnv,
  waitFor,
  waitForExactlyCommitted,
} from './support/speed-test-env.ts';

let cluster: PrivateRedisCluster;
let redis: RedisClient;
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  cluster = await startPrivateRedisCluster();
  redis = createRedisClient({ url: cluster.url, cluster: true });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup();
  redis?.disconnect();
  await cluster?.stop();
});

/** A commit of three partitions (`cells` cells each) of one view, with their key index and epoch entries. */
function threePartitionRequest(
  layout: RedisLayout,
  generation: string,
  from: string,
  cells: number,
): CommitRequest {
  const hashWrites: Array<CommitRequest['hashWrites'][number]> = [];
  const setAdds: Array<CommitRequest['setAdds'][number]> = [];
  const zAdds: Array<CommitRequest['zAdds'][number]> = [];
  for (let partition = 0; partition < 3; partition++) {
    for (let c = 0; c < cells; c++) {
      const key = `/p${partition}/${c}`;
      hashWrites.push({
        key: layout.increments('v', 7, partition, key),
        field: '0',
        value: new Uint8Array([partition, c % 256]),
        partition,
      });
      setAdds.push({ key: layout.keyIndex('v', 7, partition), member: key, partition });
    }
    zAdds.push({ key: layout.epochs('v', partition), score: 7, member: '7', partition });
  }
  return {
    generation,
    ranges: [0, 1, 2].map((partition) => ({
      topic: 't',
      partition,
      fromOffset: from,
      untilOffset: String(Number(from) + 10),
      absentOk: from === '0',
    })),
    hashWrites,
    setAdds,
    zAdds,
    counters: [{ key: layout.status(), field: 'records:t', by: 30 }],
  };
}

/** Which node (by port) holds `key`. */
function nodeOf(key: string): number {
  const owner = (redis as Cluster).slots[keySlot(key)]?.[0] ?? '';
  return Number(owner.split(':')[1]);
}

/** The CRC16 (XMODEM) hash slot of a key, honouring hash tags — Redis Cluster's own rule. */
function keySlot(key: string): number {
  let hashed = key;
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('the commit script on Redis Cluster', () => {
  const TINY: Partial<CommitLimits> = {
    maxInlineEntries: 10,
    chunkEntries: 7,
    chunkBytes: 200,
    applySliceEntries: 5,
  };

  for (const [label, limits] of [
    ['inline', {}],
    ['staged', TINY],
  ] as const) {
    it(`commits each partition atomically in its own slot (${label}) and refuses a replay per partition`, async () => {
      const layout = new RedisLayout(`oxbow-test-cluster-${randomUUID().slice(0, 8)}:`, { cluster: true });
      cleanups.push(async () => {
        for (const key of await scanKeys(redis, `${layout.prefix}*`)) await redis.unlink(key);
      });
      const request = threePartitionRequest(layout, 'gen-1', '0', 20);
      expect(await commitBatch(redis, layout, request, limits)).toEqual({ kind: 'committed' });
      for (let partition = 0; partition < 3; partition++) {
        expect(await redis.hget(layout.offsets('t', partition), String(partition))).toBe('10');
        expect(await redis.scard(layout.keyIndex('v', 7, partition))).toBe(20);
        expect(await redis.get(layout.fence(partition))).toBe('gen-1');
        expect(await redis.hgetallBuffer(layout.increments('v', 7, partition, `/p${partition}/3`))).toEqual({
          '0': Buffer.from([partition, 3]),
        });
      }
      expect(await redis.hget(layout.status(), 'records:t')).toBe('30');
      // The three partitions' keys sit on more than one node: the layout shards by partition.
      const nodes = new Set([0, 1, 2].map((partition) => nodeOf(layout.offsets('t', partition))));
      expect(nodes.size).toBeGreaterThan(1);
      expect(await scanKeys(redis, `${layout.prefix}staging:*`)).toEqual([]);

      // The same batch again: every partition's offset moved, nothing is written twice.
      const replay = await commitBatch(redis, layout, request, limits);
      expect(replay.kind).toBe('offsets-moved');
      expect(await redis.hget(layout.status(), 'records:t')).toBe('30');
      // A zombie of another generation is fenced on every partition it reached before.
      const zombie = await commitBatch(
        redis,
        layout,
        threePartitionRequest(layout, 'gen-0', '10', 1),
        limits,
      );
      expect(zombie).toEqual({ kind: 'generation-changed', stored: 'gen-1' });
      expect(await redis.hget(layout.offsets('t', 1), '1')).toBe('10');
      // The next batch of the right generation goes through.
      const next = await commitBatch(redis, layout, threePartitionRequest(layout, 'gen-1', '10', 2), limits);
      expect(next).toEqual({ kind: 'committed' });
      expect(await redis.hget(layout.offsets('t', 2), '2')).toBe('20');
    });
  }
});

describe('oxbow speed on Redis Cluster', () => {
  it.each([
    ['a SIGKILL mid-stream', 'kill'],
    ['partition fences of another generation (a zombie wrote there)', 'stale-fence'],
  ] as const)(
    'survives %s and ends with increments equal to the oracle',
    async (_label, disruption) => {
      const names = await createTestNames('cluster');
      const layout = new RedisLayout(names.prefix, { cluster: true });
      cleanups.push(() => removeTestState(redis, names));
      const env = {
        ...process.env,
        ...testEnv(names, {
          OXBOW_REDIS_URL: cluster.url,
          OXBOW_REDIS_CLUSTER: 'yes',
          OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '2000',
        }),
      };
      const logs: string[] = [];
      const start = (): ChildProcess => {
        const child = startSpeedCli(env, logs, children.length);
        children.push(child);
        return child;
      };
      const committed = async (): Promise<number> =>
        (await committedOffsets(redis, layout, names.http)) +
        (await committedOffsets(redis, layout, names.sensors));

      const start0 = Date.now() - 2 * 3_600_000;
      const http = [...generateHttpLogs({ count: 2000, seed: 31, startMs: start0, ratePerSec: 5 })];
      const sensors = [...generateSensorReadings({ count: 600, seed: 32, startMs: start0, ratePerSec: 2 })];
      const oracle = await oracleOf(http, sensors);
      const half = (records: readonly object[], second: boolean): string[] =>
        records
          .slice(second ? records.length / 2 : 0, second ? undefined : records.length / 2)
          .map((r) => JSON.stringify(r));

      let child = start();
      await produce(names.http, half(http, false));
      await produce(names.sensors, half(sensors, false));
      await waitFor(async () => ((await committed()) > 0 ? true : undefined), 90_000, 'a first commit').catch(
        (error: unknown) => {
          throw new Error(`${(error as Error).message}\n${logs.join('\n')}`);
        },
      );
      await sleep(Math.floor(Math.random() * 300));
      if (disruption === 'kill') {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        child = start();
      } else {
        for (const partition of [0, 1, 2]) await redis.set(layout.fence(partition), 'zombie-generation');
      }
      await produce(names.http, half(http, true));
      await produce(names.sensors, half(sensors, true));

      const total = http.length + sensors.length;
      await waitForExactlyCommitted(committed, total, 90_000, 'every record to be committed', logs);
      if (disruption === 'stale-fence') {
        // The speed layer gave its generation up and rebuilt everything under a new one.
        expect(logs.join('\n')).toMatch(/a partition fence names generation zombie-generation/);
        for (const partition of [0, 1, 2]) {
          expect(await redis.get(layout.fence(partition))).not.toBe('zombie-generation');
        }
      }
      const project = await loadProject(WEB_ANALYTICS_PROJECT);
      expect(await expectAllViewsMatchOracle(redis, layout, oracle, project)).toBeGreaterThan(100);
      oracle.close();
      // The increments of the three partitions live on more than one node.
      const owners = new Set((await scanKeys(redis, `${names.prefix}rt:*`)).map(nodeOf));
      expect(owners.size).toBeGreaterThan(1);

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    },
    240_000,
  );
});
