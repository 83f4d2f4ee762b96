/**
 * After a commit succeeded, the speed layer announces what it changed on `RedisLayout.commits()` (one `PUBLISH`):
 * the generation, the offsets the commit moved to, and the increments hashes it wrote, as view → epoch →
 * partition → keys. Readers that keep the increments in memory (the serving layer) re-read only those hashes,
 * once per micro-batch, instead of reading Redis on every request. The announcement is a hint, never the data:
 * it is sent at most once and not retried, and a reader that misses one sees the offsets move without it and
 * reads again; so a failure to publish never fails the batch.
 */

import type { RedisClient } from '@oxbow/connectors';
import type { RedisLayout } from '@oxbow/contracts';

/** Above this many increments hashes, the announcement names the topics' offsets only (`views: null`). */
export const MAX_ANNOUNCED_HASHES = 50_000;

/** What a successful commit wrote, as far as the announcement goes. */
export interface CommittedBatch {
  readonly generation: string;
  readonly ranges: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly untilOffset: string;
  }>;
  readonly hashWrites: ReadonlyArray<{ readonly key: string }>;
}

/**
 * The announcement's JSON text (format in `RedisLayout.commits`).
 *
 * @example
 * ```ts
 * announcementOf(layout, { generation: 'g1', ranges: [{ topic: 'http_logs', partition: 0, untilOffset: '42' }],
 *   hashWrites: [{ key: layout.increments('page_views_hourly', 7, 0, '/') }] });
 * // '{"v":1,"generation":"g1","offsets":{"http_logs":{"0":"42"}},"views":{"page_views_hourly":{"7":{"0":["/"]}}}}'
 * ```
 */
export function announcementOf(layout: RedisLayout, batch: CommittedBatch): string {
  const offsets: Record<string, Record<string, string>> = {};
  for (const range of batch.ranges) {
    const topic = offsets[range.topic] ?? {};
    topic[String(range.partition)] = range.untilOffset;
    offsets[range.topic] = topic;
  }
  const hashes = new Set<string>();
  for (const write of batch.hashWrites) hashes.add(write.key);
  let views: Record<string, Record<string, Record<string, string[]>>> | null = null;
  if (hashes.size <= MAX_ANNOUNCED_HASHES) {
    views = {};
    for (const hash of hashes) {
      const parts = layout.parseIncrements(hash);
      if (parts === undefined) continue;
      const epochs = views[parts.view] ?? {};
      views[parts.view] = epochs;
      const partitions = epochs[String(parts.epoch)] ?? {};
      epochs[String(parts.epoch)] = partitions;
      const keys = partitions[String(parts.partition)] ?? [];
      partitions[String(parts.partition)] = keys;
      keys.push(parts.key);
    }
  }
  return JSON.stringify({ v: 1, generation: batch.generation, offsets, views });
}

/**
 * Publishes the announcement of a successful commit; resolves whether or not Redis took it (errors go to `log`).
 *
 * @example
 * ```ts
 * if (result.kind === 'committed') await announceCommit(redis, layout, { generation, ranges, hashWrites }, log);
 * ```
 */
export async function announceCommit(
  redis: RedisClient,
  layout: RedisLayout,
  batch: CommittedBatch,
  log: (line: string) => void = () => {},
): Promise<void> {
  try {
    await redis.publish(layout.commits(), announcementOf(layout, batch));
  } catch (error) {
    log(`speed: could not announce a commit (readers will notice the offsets): ${String(error)}`);
  }
}
