/**
 * The one Lua script a micro-batch commits with: it checks the generation marker and every partition's stored
 * offset against the batch's ranges, and only if all match writes the increments (already merged with what was
 * stored), the key index sets, the epoch sorted sets, the next offsets and the counters, atomically. A batch
 * replayed after a crash finds its offsets already moved and writes nothing.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SpeedError } from './errors.ts';
import type { RedisLayout } from './redis-layout.ts';

/** One partition's range in a commit, and whether an absent stored offset is acceptable for it. */
export interface CommitRange {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: string;
  readonly untilOffset: string;
  /**
   * True when the partition was positioned from a base (the manifest's end offsets or the earliest offset)
   * because Redis held no offset for it in this generation; only then may the stored offset be absent.
   */
  readonly absentOk: boolean;
}

/** Everything one batch writes. */
export interface CommitRequest {
  /** The generation the batch was computed under; the script refuses if Redis holds another (or none). */
  readonly generation: string;
  readonly ranges: readonly CommitRange[];
  /** Hash fields: increments hash key, bucket start, merged codec bytes. */
  readonly hashWrites: ReadonlyArray<{ key: string; field: string; value: Uint8Array }>;
  readonly setAdds: ReadonlyArray<{ key: string; member: string }>;
  readonly zAdds: ReadonlyArray<{ key: string; score: number; member: string }>;
  /** Counters incremented with the commit (dead letters, records). */
  readonly counters: ReadonlyArray<{ key: string; field: string; by: number }>;
}

/** What the script did. */
export type CommitResult =
  | { readonly kind: 'committed' }
  | { readonly kind: 'generation-changed'; readonly stored: string | null }
  | {
      readonly kind: 'offsets-moved';
      readonly topic: string;
      readonly partition: number;
      readonly stored: string | null;
    };

/**
 * KEYS: [generation key, …every other key]; ARGV: the expected generation, then sections, each a count
 * followed by that many fixed-size entries whose first element is an index into KEYS.
 */
export const COMMIT_LUA = `
local stored_generation = redis.call('GET', KEYS[1])
if stored_generation ~= ARGV[1] then
  return {'generation', stored_generation or ''}
end
local i = 2
local ranges = tonumber(ARGV[i]); i = i + 1
local first_range = i
for r = 1, ranges do
  local key = KEYS[tonumber(ARGV[i])]
  local stored = redis.call('HGET', key, ARGV[i + 1])
  if stored then
    if stored ~= ARGV[i + 2] then return {'offsets', tostring(r), stored} end
  elseif ARGV[i + 4] ~= '1' then
    return {'offsets', tostring(r), ''}
  end
  i = i + 5
end
local hashes = tonumber(ARGV[i]); i = i + 1
for h = 1, hashes do
  redis.call('HSET', KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
  i = i + 3
end
local members = tonumber(ARGV[i]); i = i + 1
for m = 1, members do
  redis.call('SADD', KEYS[tonumber(ARGV[i])], ARGV[i + 1])
  i = i + 2
end
local scored = tonumber(ARGV[i]); i = i + 1
for z = 1, scored do
  redis.call('ZADD', KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
  i = i + 3
end
local counters = tonumber(ARGV[i]); i = i + 1
for c = 1, counters do
  redis.call('HINCRBY', KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
  i = i + 3
end
local j = first_range
for r = 1, ranges do
  redis.call('HSET', KEYS[tonumber(ARGV[j])], ARGV[j + 1], ARGV[j + 3])
  j = j + 5
end
return {'ok'}
`;

const COMMIT_SHA = createHash('sha1').update(COMMIT_LUA).digest('hex');

/**
 * Runs the commit script for `request` (EVALSHA, loading the script on `NOSCRIPT`).
 *
 * @example
 * ```ts
 * const result = await commitBatch(redis, layout, { generation, ranges, hashWrites, setAdds: [], zAdds: [], counters: [] });
 * if (result.kind !== 'committed') await stream.batchRefused(time);
 * ```
 */
export async function commitBatch(
  redis: Redis,
  layout: RedisLayout,
  request: CommitRequest,
): Promise<CommitResult> {
  const keys: string[] = [layout.generation()];
  const keyIndex = new Map<string, number>();
  const indexOf = (key: string): string => {
    let index = keyIndex.get(key);
    if (index === undefined) {
      keys.push(key);
      index = keys.length; // Lua arrays start at 1
      keyIndex.set(key, index);
    }
    return String(index);
  };
  const args: Array<string | Buffer> = [request.generation, String(request.ranges.length)];
  for (const range of request.ranges) {
    args.push(
      indexOf(layout.offsets(range.topic)),
      String(range.partition),
      range.fromOffset,
      range.untilOffset,
      range.absentOk ? '1' : '0',
    );
  }
  args.push(String(request.hashWrites.length));
  for (const write of request.hashWrites) {
    args.push(
      indexOf(write.key),
      write.field,
      Buffer.from(write.value.buffer, write.value.byteOffset, write.value.byteLength),
    );
  }
  args.push(String(request.setAdds.length));
  for (const add of request.setAdds) args.push(indexOf(add.key), add.member);
  args.push(String(request.zAdds.length));
  for (const add of request.zAdds) args.push(indexOf(add.key), String(add.score), add.member);
  args.push(String(request.counters.length));
  for (const counter of request.counters) args.push(indexOf(counter.key), counter.field, String(counter.by));

  let reply: unknown;
  try {
    reply = await redis.evalsha(COMMIT_SHA, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    reply = await redis.eval(COMMIT_LUA, keys.length, ...keys, ...args);
  }
  return interpretReply(reply, request);
}

function interpretReply(reply: unknown, request: CommitRequest): CommitResult {
  if (!Array.isArray(reply))
    throw new SpeedError('OXBOW_SPEED_REDIS', `unexpected commit reply ${String(reply)}`);
  const [kind, first, second] = reply as unknown[];
  if (kind === 'ok') return { kind: 'committed' };
  if (kind === 'generation') {
    return { kind: 'generation-changed', stored: typeof first === 'string' && first !== '' ? first : null };
  }
  if (kind === 'offsets') {
    const range = request.ranges[Number(first) - 1];
    if (range === undefined)
      throw new SpeedError('OXBOW_SPEED_REDIS', `commit refused an unknown range ${String(first)}`);
    return {
      kind: 'offsets-moved',
      topic: range.topic,
      partition: range.partition,
      stored: typeof second === 'string' && second !== '' ? second : null,
    };
  }
  throw new SpeedError('OXBOW_SPEED_REDIS', `unexpected commit reply ${JSON.stringify(reply)}`);
}
