/**
 * Turns one batch's increments into the writes of its commit: each (view, epoch, partition, key, bucket) becomes
 * `stored ⊕ delta` with the view's aggregator, encoded with its codec, plus the key index and epoch entries.
 * Reading before the conditional commit is safe because each hash has one writer (the owner of its partition)
 * and the commit script refuses the batch if any partition's offsets moved since.
 */

import type { RedisLayout } from '@oxbow/contracts';
import type { Redis } from 'ioredis';
import type { CommitRequest } from './commit-script.ts';
import { SpeedError } from './errors.ts';
import type { AnyView, Increment } from './increments.ts';

/** The increment writes of a commit. */
export type IncrementWrites = Pick<CommitRequest, 'hashWrites' | 'setAdds' | 'zAdds'>;

/** Hash fields read per pipelined round trip of {@link mergeIncrements} (a hash is never split). */
export const MAX_FIELDS_PER_READ = 10_000;

/**
 * Reads the stored states of `increments` (one `HMGET` per hash, pipelined in round trips of about
 * {@link MAX_FIELDS_PER_READ} fields) and merges each with its delta.
 *
 * @example
 * ```ts
 * const writes = await mergeIncrements(redis, layout, viewsByName, increments);
 * await commitBatch(redis, layout, { generation, ranges, ...writes, counters: [] });
 * ```
 */
export async function mergeIncrements(
  redis: Redis,
  layout: RedisLayout,
  views: ReadonlyMap<string, AnyView>,
  increments: ReadonlyArray<Increment<unknown>>,
): Promise<IncrementWrites> {
  const byHash = new Map<string, Array<Increment<unknown>>>();
  for (const increment of increments) {
    const key = layout.increments(increment.view, increment.epoch, increment.partition, increment.key);
    let list = byHash.get(key);
    if (list === undefined) {
      list = [];
      byHash.set(key, list);
    }
    list.push(increment);
  }
  const hashes = [...byHash.entries()];
  const replies: Array<[error: Error | null, result: unknown]> = [];
  for (let first = 0; first < hashes.length; ) {
    const pipeline = redis.pipeline();
    let fields = 0;
    let end = first;
    for (; end < hashes.length && (end === first || fields < MAX_FIELDS_PER_READ); end++) {
      const [key, list] = hashes[end] as [string, Array<Increment<unknown>>];
      const command: string[] = [key];
      for (const increment of list) command.push(String(increment.bucketStartMs));
      pipeline.callBuffer('hmget', command);
      fields += list.length;
    }
    const chunk = (await pipeline.exec()) ?? [];
    for (let h = first; h < end; h++) replies.push(chunk[h - first] ?? [new Error('no reply'), null]);
    first = end;
  }

  const hashWrites: Array<IncrementWrites['hashWrites'][number]> = [];
  const setAdds = new Map<string, { key: string; member: string }>();
  const zAdds = new Map<string, { key: string; score: number; member: string }>();
  hashes.forEach(([key, list], h) => {
    const [error, stored] = replies[h] ?? [new Error('no reply'), null];
    if (error)
      throw new SpeedError('OXBOW_SPEED_REDIS', `cannot read ${key}`, { cause: error, retriable: true });
    const values = stored as Array<Buffer | null>;
    list.forEach((increment, f) => {
      const view = views.get(increment.view);
      if (view === undefined) throw new SpeedError('OXBOW_SPEED_STATE', `no view ${increment.view}`);
      const previous = values[f];
      let merged: unknown = increment.state;
      if (previous !== null && previous !== undefined) {
        try {
          merged = view.aggregator.plus(view.aggregator.codec.deserialize(previous), increment.state);
        } catch (cause) {
          throw new SpeedError(
            'OXBOW_SPEED_REDIS',
            `${key} field ${increment.bucketStartMs}: unreadable state`,
            {
              cause,
            },
          );
        }
      }
      hashWrites.push({
        key,
        field: String(increment.bucketStartMs),
        value: view.aggregator.codec.serialize(merged),
      });
      const index = layout.keyIndex(increment.view, increment.epoch);
      setAdds.set(`${index}\u0000${increment.key}`, { key: index, member: increment.key });
      const epochs = layout.epochs(increment.view);
      zAdds.set(`${epochs}\u0000${increment.epoch}`, {
        key: epochs,
        score: increment.epoch,
        member: String(increment.epoch),
      });
    });
  });
  return { hashWrites, setAdds: [...setAdds.values()], zAdds: [...zAdds.values()] };
}
