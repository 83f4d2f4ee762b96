/**
 * `oxbow stack up --with redis-cluster`: three `redis-server` nodes on private ports (36481–36483, cluster bus
 * 46481–46483, so the shared stack's cluster on 26381–26383 is left alone) in a temporary state dir form a
 * cluster of three masters owning all 16384 slots; an ioredis cluster client (`createRedisCluster`) writes keys
 * that land on each of the three nodes; `stack down` stops the nodes; a second `up` reuses the formed cluster
 * (same node ids, the keys still there). Kafka, Redis and S3Proxy are the shared stack's (vitest's global setup
 * brings it up), which this state dir's `up` finds healthy and leaves alone.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@oxbow/config';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis, createRedisCluster } from '../src/clients.ts';
import { runId } from '../src/demo/round-trip.ts';
import { isPortFree } from '../src/stack/ports.ts';
import { parseClusterInfo } from '../src/stack/redis-cluster-supervisor.ts';
import { runOxbow } from './support/processes.ts';

const FIRST_PORT = 36_481;
const PORTS = [FIRST_PORT, FIRST_PORT + 1, FIRST_PORT + 2];
const stateDir = mkdtempSync(join(tmpdir(), 'oxbow-redis-cluster-'));
const env = { OXBOW_STATE_DIR: stateDir, OXBOW_REDIS_CLUSTER_PORT: String(FIRST_PORT) };
const logFile = join(stateDir, 'redis-cluster', 'redis-cluster.log');
const keyPrefix = `test:redis-cluster:${runId()}`;

afterAll(async () => {
  await runOxbow(['stack', 'down'], env, 30_000);
  rmSync(stateDir, { recursive: true, force: true });
});

async function stack(...args: string[]): Promise<string> {
  const result = await runOxbow(['stack', ...args], env, 60_000);
  expect(result.code, `oxbow stack ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
  return result.stdout;
}

/** Runs one command on one node over a plain (non-cluster) connection. */
async function onNode(port: number, ...command: [string, ...(string | number)[]]): Promise<unknown> {
  const config = (await loadConfig({ cwd: stateDir, env: {} })).config;
  const redis = createRedis(config, { address: `redis://127.0.0.1:${port}`, quiet: true });
  try {
    await redis.connect();
    return await redis.call(...command);
  } finally {
    redis.disconnect();
  }
}

type SlotRange = [start: number, end: number, ...nodes: [host: string, port: number, id: string][]];

/** `CLUSTER SLOTS` as port → the slots its master owns. */
async function slotOwners(): Promise<Map<number, [number, number][]>> {
  const ranges = (await onNode(FIRST_PORT, 'CLUSTER', 'SLOTS')) as SlotRange[];
  const owners = new Map<number, [number, number][]>();
  for (const [start, end, ...nodes] of ranges) {
    expect(nodes, 'one node (a master, no replicas) per slot range').toHaveLength(1);
    const port = Number(nodes[0]?.[1]);
    owners.set(port, [...(owners.get(port) ?? []), [start, end]]);
  }
  return owners;
}

function ownerOf(owners: Map<number, [number, number][]>, slot: number): number | undefined {
  for (const [port, ranges] of owners) {
    if (ranges.some(([start, end]) => slot >= start && slot <= end)) return port;
  }
  return undefined;
}

async function nodeIds(): Promise<string[]> {
  return Promise.all(PORTS.map(async (port) => String(await onNode(port, 'CLUSTER', 'MYID'))));
}

describe('oxbow stack up --with redis-cluster', { timeout: 60_000 }, () => {
  const written = new Map<string, { value: string; owner: number }>();
  let firstIds: string[] = [];

  it('forms a cluster of three masters owning all 16384 slots, shown by stack status', async () => {
    for (const port of PORTS)
      expect(await isPortFree(port), `port ${port} must be free for this test`).toBe(true);
    const up = await stack('up', '--with', 'redis-cluster');
    expect(up).toMatch(/redis-cluster: started \(pid \d+\)/);
    expect(up).toContain(`redis-cluster: healthy at redis://127.0.0.1:${FIRST_PORT} (cluster)`);

    for (const port of PORTS) {
      const info = parseClusterInfo(String(await onNode(port, 'CLUSTER', 'INFO')));
      expect(info, `CLUSTER INFO on ${port}`).toMatchObject({
        cluster_state: 'ok',
        cluster_slots_assigned: '16384',
        cluster_slots_ok: '16384',
        cluster_known_nodes: '3',
        cluster_size: '3',
      });
    }
    const owners = await slotOwners();
    expect([...owners.keys()].sort()).toEqual(PORTS);
    const owned = [...owners.values()].flat().reduce((sum, [start, end]) => sum + end - start + 1, 0);
    expect(owned).toBe(16_384);
    firstIds = await nodeIds();
    expect(new Set(firstIds).size).toBe(3);

    const status = JSON.parse(await stack('status', '--json')) as {
      services: { name: string; healthy: boolean; managed: boolean; address: string }[];
    };
    expect(status.services.find((service) => service.name === 'redis-cluster')).toMatchObject({
      healthy: true,
      managed: true,
      address: `redis://127.0.0.1:${FIRST_PORT} (cluster)`,
    });
  });

  it('an ioredis cluster client writes keys that land on each of the three masters', async () => {
    const owners = await slotOwners();
    // One key per master: hash tags {0}, {1}, … until every node owns one of the keys' slots.
    for (let tag = 0; written.size < 3 && tag < 100; tag += 1) {
      const key = `${keyPrefix}:{${tag}}`;
      const owner = ownerOf(owners, Number(await onNode(FIRST_PORT, 'CLUSTER', 'KEYSLOT', key)));
      if (owner !== undefined && ![...written.values()].some((entry) => entry.owner === owner)) {
        written.set(key, { value: `value-${tag}`, owner });
      }
    }
    expect(new Set([...written.values()].map((entry) => entry.owner))).toEqual(new Set(PORTS));

    const config = (
      await loadConfig({ cwd: stateDir, env: { OXBOW_REDIS_URL: `redis://127.0.0.1:${FIRST_PORT}` } })
    ).config;
    const cluster = createRedisCluster(config);
    try {
      await cluster.connect();
      await Promise.all([...written].map(([key, { value }]) => cluster.set(key, value, 'EX', 600)));
      const read = await Promise.all([...written.keys()].map((key) => cluster.get(key)));
      expect(read).toEqual([...written.values()].map((entry) => entry.value));
    } finally {
      cluster.disconnect();
    }
    // Each key is stored on its owner and nowhere else (another node answers MOVED).
    for (const [key, { value, owner }] of written) {
      expect(await onNode(owner, 'GET', key)).toBe(value);
      const other = PORTS.find((port) => port !== owner) ?? 0;
      await expect(onNode(other, 'GET', key)).rejects.toThrow(/MOVED/);
    }
  });

  it('stack down stops the nodes; a second up reuses the formed cluster with its keys', async () => {
    const down = await stack('down');
    expect(down).toMatch(/redis-cluster: stopped pid \d+/);
    for (const port of PORTS) expect(await isPortFree(port), `port ${port} after stack down`).toBe(true);

    const up = await stack('up', '--with', 'redis-cluster');
    expect(up).toContain(`redis-cluster: healthy at redis://127.0.0.1:${FIRST_PORT} (cluster)`);
    expect(await nodeIds()).toEqual(firstIds);
    const log = readFileSync(logFile, 'utf8');
    expect(log.match(/supervisor: creating the cluster/g)).toHaveLength(1);
    expect(log.match(/supervisor: reusing the cluster formed earlier/g)).toHaveLength(1);
    for (const [key, { value, owner }] of written) expect(await onNode(owner, 'GET', key)).toBe(value);
  });
});
