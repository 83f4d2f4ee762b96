/**
 * One way to open Redis for the speed and serving layers, standalone or Redis Cluster
 * (`OXBOW_REDIS_CLUSTER=yes`), and the few multi-key operations that differ between the two: a cluster has no
 * cross-slot pipelines or multi-key commands and a `SCAN` sees one node only (docs/design/0010-redis-cluster.md).
 */
import { Cluster, Redis } from 'ioredis';

/** A standalone Redis connection or a Redis Cluster client: the commands both answer are the same. */
export type RedisClient = Redis | Cluster;

/** The connection options the layers set, applied to the server or to every node of a cluster. */
export interface RedisConnectionOptions {
  /** Connect on the first command (or `connect()`) instead of at once. */
  readonly lazyConnect?: boolean;
  /** Milliseconds to establish a connection. */
  readonly connectTimeout?: number;
  /** Milliseconds a command may take before it fails. */
  readonly commandTimeout?: number;
  /** Reconnection attempts a queued command waits for before it fails (null: forever). */
  readonly maxRetriesPerRequest?: number | null;
}

/** Options of {@link createRedisClient}. */
export interface RedisClientOptions {
  /** `redis://` or `rediss://` URL: the server, or with `cluster` one seed node of the cluster. */
  readonly url: string;
  /**
   * True for Redis Cluster (ioredis's cluster client; concurrent commands are written to each node's socket without
   * waiting for replies. Not ioredis's auto-pipelining: in ioredis 6 it throws on `call`/`callBuffer`).
   */
  readonly cluster: boolean;
  /** Connection options (timeouts, retries, `lazyConnect`), applied to every node of a cluster. */
  readonly redisOptions?: RedisConnectionOptions;
}

/** Whether `redis` is a Redis Cluster client. */
export function isRedisCluster(redis: RedisClient): redis is Cluster {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/**
 * Opens Redis: a standalone connection to `url`, or with `cluster` a cluster client seeded with `url` (it
 * discovers the other nodes; user, password and TLS of the URL apply to every node).
 *
 * @example
 * ```ts
 * const redis = createRedisClient({ url: config.redisUrl, cluster: config.redisCluster === 'yes', redisOptions: { lazyConnect: true } });
 * ```
 */
export function createRedisClient(options: RedisClientOptions): RedisClient {
  const { lazyConnect, ...nodeOptions } = options.redisOptions ?? {};
  if (!options.cluster) return new Redis(options.url, { lazyConnect: lazyConnect ?? false, ...nodeOptions });
  const url = new URL(options.url);
  return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
    lazyConnect: lazyConnect ?? false,
    redisOptions: {
      ...nodeOptions,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  });
}

/** The nodes a `SCAN` must visit: the masters of a cluster, or the one server. */
function scanTargets(redis: RedisClient): Redis[] {
  return isRedisCluster(redis) ? redis.nodes('master') : [redis];
}

/**
 * Calls `onKeys` with every key matching `pattern` (Redis glob), in batches, over every master of a cluster. Keys
 * may repeat or be missed only as `SCAN` itself allows (keys written or deleted meanwhile).
 */
export async function scanKeys(
  redis: RedisClient,
  pattern: string,
  onKeys: (keys: string[]) => Promise<void> | void,
  count = 1000,
): Promise<void> {
  for (const node of scanTargets(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) await onKeys(keys);
    } while (cursor !== '0');
  }
}

/** Deletes `keys` (`UNLINK`; one command per key on a cluster, where keys may sit in different slots). */
export async function unlinkKeys(redis: RedisClient, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  if (!isRedisCluster(redis)) return redis.unlink(...keys);
  const deleted = await Promise.all(keys.map((key) => redis.unlink(key)));
  return deleted.reduce((sum, one) => sum + one, 0);
}

/**
 * `HGETALL` of every key in `keys` as field → bytes, in order: pipelined in chunks of `chunk` on a standalone
 * Redis, sent concurrently on a cluster. A failed read rejects.
 */
export async function hgetallBuffers(
  redis: RedisClient,
  keys: readonly string[],
  chunk = 500,
): Promise<Array<Record<string, Buffer>>> {
  if (isRedisCluster(redis)) return Promise.all(keys.map((key) => redis.hgetallBuffer(key)));
  const out: Array<Record<string, Buffer>> = [];
  for (let start = 0; start < keys.length; start += chunk) {
    const pipeline = redis.pipeline();
    for (let k = start; k < Math.min(keys.length, start + chunk); k++)
      pipeline.hgetallBuffer(keys[k] as string);
    for (const [error, value] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      out.push(value as Record<string, Buffer>);
    }
  }
  return out;
}

/** One command of {@link execCommands}: its name, its arguments, and whether replies stay bytes. */
export interface RedisCommand {
  readonly name: string;
  readonly args: ReadonlyArray<string | Buffer>;
  /** True to receive bulk replies as `Buffer`s (`callBuffer`). */
  readonly buffer?: boolean;
}

/**
 * Runs `commands` in one round trip where the topology allows and answers `[error, reply]` per command, in order,
 * like `pipeline.exec()`: one pipeline on a standalone Redis; on a cluster, where a pipeline may not span nodes,
 * each command on its own, sent concurrently.
 */
export async function execCommands(
  redis: RedisClient,
  commands: readonly RedisCommand[],
): Promise<Array<[Error | null, unknown]>> {
  if (commands.length === 0) return [];
  if (isRedisCluster(redis)) {
    const settled = await Promise.allSettled(
      commands.map((command) =>
        command.buffer
          ? redis.callBuffer(command.name, [...command.args])
          : redis.call(command.name, [...command.args]),
      ),
    );
    return settled.map((one) =>
      one.status === 'fulfilled'
        ? [null, one.value]
        : [one.reason instanceof Error ? one.reason : new Error(String(one.reason)), null],
    );
  }
  const pipeline = redis.pipeline();
  for (const command of commands) {
    if (command.buffer) pipeline.callBuffer(command.name, [...command.args]);
    else pipeline.call(command.name, [...command.args]);
  }
  return ((await pipeline.exec()) ?? []) as Array<[Error | null, unknown]>;
}
