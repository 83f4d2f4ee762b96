/**
 * Expiry of realtime epochs: once a batch manifest with watermark E is published, the serving layer answers
 * epochs ≤ E from the batch views, so the speed layer deletes their increments (`rt:*`), key indexes and
 * entries in the epoch sorted sets (one per partition in the cluster layout). The sorted set entries go last, so an
 * interrupted expiry is redone.
 */

import { type RedisClient, unlinkKeys } from '@oxbow/connectors';
import type { RedisLayout } from '@oxbow/contracts';
import { deleteMatching } from './generation.ts';
import { viewEpochs } from './realtime-epochs.ts';

/** What {@link expireEpochs} deleted. */
export interface ExpiryOutcome {
  /** (view, epoch) pairs expired. */
  readonly epochs: number;
  /** Redis keys deleted. */
  readonly keys: number;
}

/**
 * Deletes the realtime data of every epoch ≤ `watermarkEpoch` of the given views; `partitions` are the Kafka
 * partitions whose keys to visit in the cluster layout (ignored standalone).
 *
 * @example
 * ```ts
 * await expireEpochs(redis, layout, ['page_views_hourly'], manifest.watermarkEpoch, [0, 1, 2]);
 * ```
 */
export async function expireEpochs(
  redis: RedisClient,
  layout: RedisLayout,
  viewNames: readonly string[],
  watermarkEpoch: number,
  partitions: readonly number[] = [],
): Promise<ExpiryOutcome> {
  let epochs = 0;
  let keys = 0;
  // The epoch sets and key indexes: one of each standalone, one per partition in the cluster layout.
  const perPartition: Array<number | undefined> = layout.cluster ? [...partitions] : [undefined];
  for (const view of viewNames) {
    const expired = await viewEpochs(redis, layout, view, partitions, '-inf', String(watermarkEpoch));
    for (const epoch of expired) {
      keys += await deleteMatching(redis, layout.incrementsPattern(view, epoch));
      keys += await unlinkKeys(
        redis,
        perPartition.map((partition) => layout.keyIndex(view, epoch, partition)),
      );
      for (const partition of perPartition) await redis.zrem(layout.epochs(view, partition), String(epoch));
      epochs++;
    }
  }
  return { epochs, keys };
}
