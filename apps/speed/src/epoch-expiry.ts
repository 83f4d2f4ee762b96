/**
 * Expiry of realtime epochs: once a batch manifest with watermark E is published, the serving layer answers
 * epochs ≤ E from the batch views, so the speed layer deletes their increments (`rt:*`), key indexes and
 * entries in the epoch sorted sets. The sorted set entry goes last, so an interrupted expiry is redone.
 */

import type { RedisLayout } from '@oxbow/contracts';
import type { Redis } from 'ioredis';
import { deleteMatching } from './generation.ts';

/** What {@link expireEpochs} deleted. */
export interface ExpiryOutcome {
  /** (view, epoch) pairs expired. */
  readonly epochs: number;
  /** Redis keys deleted. */
  readonly keys: number;
}

/**
 * Deletes the realtime data of every epoch ≤ `watermarkEpoch` of the given views.
 *
 * @example
 * ```ts
 * await expireEpochs(redis, layout, ['page_views_hourly'], manifest.watermarkEpoch);
 * ```
 */
export async function expireEpochs(
  redis: Redis,
  layout: RedisLayout,
  viewNames: readonly string[],
  watermarkEpoch: number,
): Promise<ExpiryOutcome> {
  let epochs = 0;
  let keys = 0;
  for (const view of viewNames) {
    const expired = await redis.zrangebyscore(layout.epochs(view), '-inf', String(watermarkEpoch));
    for (const epoch of expired) {
      keys += await deleteMatching(redis, layout.incrementsPattern(view, Number(epoch)));
      keys += await redis.unlink(layout.keyIndex(view, Number(epoch)));
      await redis.zrem(layout.epochs(view), epoch);
      epochs++;
    }
  }
  return { epochs, keys };
}
