/**
 * The generation marker (`<prefix>generation`): a random id the speed layer sets when it initializes Redis. A
 * missing marker means Redis lost its data (restart without persistence, FLUSHALL); a different one means
 * another instance re-initialized it. Either way the speed layer rebuilds its increments by replaying Kafka.
 */
import { randomUUID } from 'node:crypto';
import type { RedisLayout } from '@oxbow/contracts';
import type { Redis } from 'ioredis';

/** The generation in Redis, or null when there is none. */
export function readGeneration(redis: Redis, layout: RedisLayout): Promise<string | null> {
  return redis.get(layout.generation());
}

/** What {@link ensureGeneration} found or did. */
export interface GenerationOutcome {
  readonly generation: string;
  /** True when this call initialized Redis (the marker was missing): increments start over. */
  readonly created: boolean;
  /** Keys of an older generation deleted on initialization. */
  readonly deletedKeys: number;
}

/** Deletes every key matching `pattern` (SCAN + UNLINK in chunks); resolves how many. */
export async function deleteMatching(redis: Redis, pattern: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/**
 * Returns the current generation, initializing one when the marker is missing: leftovers of the layout
 * (increments, indexes, offsets) are deleted first, so a rebuild never adds to stale values, then the marker is
 * set only if still absent (another instance may have won; its generation is adopted).
 *
 * @example
 * ```ts
 * const { generation, created } = await ensureGeneration(redis, layout);
 * if (created) console.log('Redis was empty: rebuilding from the manifest offsets');
 * ```
 */
export async function ensureGeneration(redis: Redis, layout: RedisLayout): Promise<GenerationOutcome> {
  const existing = await readGeneration(redis, layout);
  if (existing !== null) return { generation: existing, created: false, deletedKeys: 0 };
  let deletedKeys = 0;
  for (const pattern of layout.rebuildPatterns()) deletedKeys += await deleteMatching(redis, pattern);
  const generation = randomUUID();
  const set = await redis.set(layout.generation(), generation, 'NX');
  if (set === 'OK') return { generation, created: true, deletedKeys };
  const winner = await readGeneration(redis, layout);
  return { generation: winner ?? generation, created: false, deletedKeys };
}
