/**
 * Redis Cluster for `oxbow stack up --with redis-cluster`: three masters (no replicas) from the machine's
 * `redis-server` (the Debian package, 7.0) on `redisClusterPort` and the next two ports (26381–26383; each
 * node's cluster bus on its port + 10000), bound to 127.0.0.1, formed with `redis-cli --cluster create`.
 *
 * Why one service with a supervisor rather than three services: the stack starts, health-checks, stops and
 * reports one process per service, while the cluster is one thing to its users: one `--with` name, one
 * address, one health verdict (all 16384 slots served), and it must be created once all three nodes run. So the
 * service's process is `../redis-cluster-supervisor.ts`, which runs the three nodes as its children, creates
 * the cluster the first time (later starts reuse it from each node's `nodes-<port>.conf`), forwards SIGTERM to
 * the nodes and exits once they have. `stack down` therefore stops the cluster like any other service.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OxbowConfig } from '@oxbow/config';
import { createRedis } from '../../clients.ts';
import { CliError } from '../../errors.ts';
import { clusterInfoProblem, NODE_STOP_GRACE_MS, parseClusterInfo } from '../redis-cluster-supervisor.ts';
import type { PortBinding, ServiceDefinition } from '../service.ts';
import { requireRedisServer } from './redis.ts';

/** The number of nodes (all masters) of the stack's cluster. */
export const REDIS_CLUSTER_NODES = 3;

/** Redis Cluster's bus port of a node is its client port plus this offset. */
const CLUSTER_BUS_OFFSET = 10_000;

/** The client ports of the cluster's nodes: `redisClusterPort` and the next two. */
export function redisClusterPorts(config: OxbowConfig): number[] {
  return Array.from({ length: REDIS_CLUSTER_NODES }, (_, index) => config.redisClusterPort + index);
}

/** The supervisor, next to this file's directory, with this file's extension (`.ts` from source, `.js` built). */
const SUPERVISOR = join(
  dirname(dirname(fileURLToPath(import.meta.url))),
  `redis-cluster-supervisor${extname(fileURLToPath(import.meta.url))}`,
);

function requireRedisCli(redisServer: string): string {
  // Debian's redis-server depends on redis-tools, which puts redis-cli next to it (as do source builds).
  const path = join(dirname(redisServer), 'redis-cli');
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    throw new CliError(
      'OXBOW_BINARY_MISSING',
      `redis-cli not found next to ${redisServer}: install it with \`apt-get install redis-tools\` (it creates the cluster)`,
    );
  }
}

/** Reads `CLUSTER INFO` from the node on `port`; rejects quickly when it does not answer. */
async function clusterInfo(config: OxbowConfig, port: number): Promise<Record<string, string>> {
  const redis = createRedis(config, { address: `redis://127.0.0.1:${port}`, quiet: true });
  try {
    await redis.connect();
    return parseClusterInfo(String(await redis.call('CLUSTER', 'INFO')));
  } finally {
    redis.disconnect();
  }
}

/** A three-master Redis Cluster on `redisClusterPort`…+2; optional (`--with redis-cluster`). */
export const redisClusterService: ServiceDefinition = {
  name: 'redis-cluster',
  optional: true,
  // The supervisor gives its nodes NODE_STOP_GRACE_MS before killing them, so it exits within this grace.
  stopGraceMs: NODE_STOP_GRACE_MS + 7_000,
  startTimeoutMs: 45_000,
  ports: (config) =>
    redisClusterPorts(config).flatMap((port): PortBinding[] => [
      { port, setting: 'redisClusterPort', env: 'OXBOW_REDIS_CLUSTER_PORT' },
      { port: port + CLUSTER_BUS_OFFSET, setting: 'redisClusterPort', env: 'OXBOW_REDIS_CLUSTER_PORT' },
    ]),
  address: (config) => `redis://127.0.0.1:${config.redisClusterPort} (cluster)`,

  async fetch() {
    requireRedisCli(requireRedisServer());
  },

  async prepare(context) {
    mkdirSync(context.dataDir, { recursive: true });
  },

  command(context) {
    const redisServer = requireRedisServer();
    return {
      command: process.execPath,
      args: [
        SUPERVISOR,
        '--redis-server',
        redisServer,
        '--redis-cli',
        requireRedisCli(redisServer),
        '--data-dir',
        context.dataDir,
        ...redisClusterPorts(context.config).flatMap((port) => ['--port', String(port)]),
      ],
      cwd: context.serviceDir,
    };
  },

  async healthCheck(context) {
    const ports = redisClusterPorts(context.config);
    const infos = await Promise.all(ports.map((port) => clusterInfo(context.config, port)));
    infos.forEach((info, index) => {
      const problem = clusterInfoProblem(info, REDIS_CLUSTER_NODES);
      if (problem) throw new Error(`node ${ports[index]}: ${problem}`);
    });
  },

  async setup() {
    return [];
  },
};
