import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createRedis } from '../../clients.ts';
import { CliError } from '../../errors.ts';
import { redisServerArguments } from '../redis-server-arguments.ts';
import type { ServiceDefinition } from '../service.ts';

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return join(dir, binary);
    } catch {}
  }
  return undefined;
}

/** The path of the machine's `redis-server` (also run by the `redis-cluster` service); throws when missing. */
export function requireRedisServer(): string {
  const path = findOnPath('redis-server');
  if (!path) {
    throw new CliError(
      'OXBOW_BINARY_MISSING',
      'redis-server not found on PATH: install it with `apt-get install redis-server` (the stack runs its own instance, not the system service)',
    );
  }
  return path;
}

/** Redis from the machine's `redis-server` binary: own port, own data directory, AOF on, RDB snapshots off. */
export const redisService: ServiceDefinition = {
  name: 'redis',
  optional: false,
  stopGraceMs: 10_000,
  startTimeoutMs: 30_000,
  ports: (config) => [{ port: config.redisPort, setting: 'redisPort', env: 'OXBOW_REDIS_PORT' }],
  address: (config) => `redis://127.0.0.1:${config.redisPort}`,

  async fetch() {
    requireRedisServer();
  },

  async prepare(context) {
    mkdirSync(context.dataDir, { recursive: true });
  },

  command(context) {
    return {
      command: requireRedisServer(),
      args: redisServerArguments(context.config.redisPort, context.dataDir),
      cwd: context.dataDir,
    };
  },

  async healthCheck(context) {
    const redis = createRedis(context.config, {
      address: `redis://127.0.0.1:${context.config.redisPort}`,
      quiet: true,
    });
    try {
      await redis.connect();
      const reply = await redis.ping();
      if (reply !== 'PONG') throw new Error(`PING answered ${reply}`);
    } finally {
      redis.disconnect();
    }
  },

  async setup() {
    return [];
  },
};
