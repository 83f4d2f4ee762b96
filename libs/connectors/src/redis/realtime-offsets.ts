/**
 * Reading the speed layer's stored Kafka offsets and partitions under either Redis layout (`RedisLayout` of
 * `@oxbow/contracts`): one `offsets:<topic>` hash per topic standalone, one tagged hash per partition plus the
 * `partitions:<topic>` registry on a cluster.
 */
import type { RedisLayout } from '@oxbow/contracts';
import { isRedisCluster, type RedisClient } from './redis-client.ts';

/** The partitions of `topic` with stored offsets (or, on a cluster, registered for a commit), ascending. */
export async function topicPartitions(
  redis: RedisClient,
  layout: RedisLayout,
  topic: string,
): Promise<number[]> {
  const members = layout.cluster
    ? await redis.smembers(layout.partitions(topic))
    : await redis.hkeys(layout.offsets(topic));
  return members
    .map(Number)
    .filter((partition) => Number.isSafeInteger(partition) && partition >= 0)
    .sort((a, b) => a - b);
}

/** The stored next offset of every partition of `topic`: partition → offset (decimal string). */
export async function readTopicOffsets(
  redis: RedisClient,
  layout: RedisLayout,
  topic: string,
): Promise<Record<string, string>> {
  if (!layout.cluster) return redis.hgetall(layout.offsets(topic));
  const partitions = await topicPartitions(redis, layout, topic);
  const offsets = await Promise.all(
    partitions.map((partition) => redis.hget(layout.offsets(topic, partition), String(partition))),
  );
  const out: Record<string, string> = {};
  partitions.forEach((partition, index) => {
    const offset = offsets[index];
    if (offset !== null && offset !== undefined) out[String(partition)] = offset;
  });
  return out;
}

/** The stored next offset of one partition, or null. */
export function readPartitionOffset(
  redis: RedisClient,
  layout: RedisLayout,
  topic: string,
  partition: number,
): Promise<string | null> {
  return redis.hget(layout.offsets(topic, partition), String(partition));
}

/**
 * Cluster layout: records `partitions` of `topic` in the registry readers use (before their first commit);
 * nothing to do standalone, where the offsets hash lists them.
 */
export async function registerPartitions(
  redis: RedisClient,
  layout: RedisLayout,
  topic: string,
  partitions: readonly number[],
): Promise<void> {
  if (!layout.cluster || partitions.length === 0) return;
  await redis.sadd(layout.partitions(topic), ...partitions.map(String));
}

/** True when `redis` and `layout` disagree (a cluster client with the standalone layout, or the reverse). */
export function layoutMismatch(redis: RedisClient, layout: RedisLayout): boolean {
  return isRedisCluster(redis) !== layout.cluster;
}
