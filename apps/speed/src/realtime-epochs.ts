/**
 * The epochs holding increments of a view, under either Redis layout: one sorted set per view standalone, one per
 * view and Kafka partition in the cluster layout (whose union is the view's epochs).
 */
import type { RedisClient } from '@oxbow/connectors';
import type { RedisLayout } from '@oxbow/contracts';

/**
 * The epochs of `view` with a score between `min` and `max` (`ZRANGEBYSCORE` bounds such as `-inf` or `(41`),
 * ascending and distinct; `partitions` are the partitions to visit in the cluster layout (ignored standalone).
 *
 * @example
 * ```ts
 * const expired = await viewEpochs(redis, layout, 'page_views_hourly', [0, 1, 2], '-inf', String(watermark));
 * ```
 */
export async function viewEpochs(
  redis: RedisClient,
  layout: RedisLayout,
  view: string,
  partitions: readonly number[],
  min: string,
  max: string,
): Promise<number[]> {
  const sets = layout.cluster
    ? await Promise.all(
        partitions.map((partition) => redis.zrangebyscore(layout.epochs(view, partition), min, max)),
      )
    : [await redis.zrangebyscore(layout.epochs(view), min, max)];
  const epochs = new Set<number>();
  for (const members of sets) {
    for (const member of members) {
      const epoch = Number(member);
      if (Number.isSafeInteger(epoch)) epochs.add(epoch);
    }
  }
  return [...epochs].sort((a, b) => a - b);
}
