/**
 * How a micro-batch commits: one Lua script checks the generation marker and every partition's stored offset
 * against the batch's ranges, and only if all match writes the increments (already merged with what was stored),
 * the key index sets, the epoch sorted sets, the next offsets and the counters, atomically. A batch replayed after
 * a crash finds its offsets already moved and writes nothing.
 *
 * A small commit passes everything to that script in one call ({@link COMMIT_LUA}). A large one (many distinct
 * cells) is first staged: its entries are pushed in bounded chunks to staging lists under a unique token, which
 * expire if the commit never finishes, then {@link STAGED_COMMIT_LUA} makes the same checks and, only if they
 * pass, applies the lists slice by slice, moves the offsets and deletes the lists, in one atomic script. Nothing
 * is visible before that final script, and no command or JavaScript call grows with the batch.
 *
 * On Redis Cluster (`RedisLayout` with `cluster`), a script may only touch one hash slot, so a commit is atomic per
 * Kafka partition: the request is split by partition (every key of a partition carries its hash tag) and each part
 * is committed by the same scripts, checking that partition's offset and its generation fence
 * (`RedisLayout.fence`) instead of the marker. A crash between two parts leaves some partitions committed and others
 * not, exactly as if the partitions had been separate batches: each replays from its own stored offset. Counters
 * (statistics, not view data) are added after every part committed, at most once (docs/design/0010-redis-cluster.md).
 */
import { createHash, randomUUID } from 'node:crypto';
import { execCommands, failpoint, type RedisClient } from '@oxbow/connectors';
import type { RedisLayout } from '@oxbow/contracts';
import { SpeedError } from './errors.ts';

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
  /**
   * Hash fields: increments hash key, bucket start, merged codec bytes. `partition` (the Kafka partition whose
   * commit writes the entry) is required in the cluster layout, ignored otherwise; likewise in `setAdds`, `zAdds`.
   */
  readonly hashWrites: ReadonlyArray<{ key: string; field: string; value: Uint8Array; partition?: number }>;
  readonly setAdds: ReadonlyArray<{ key: string; member: string; partition?: number }>;
  readonly zAdds: ReadonlyArray<{ key: string; score: number; member: string; partition?: number }>;
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
 * The generation check both scripts start with; `before` runs before a refusal. Standalone layout: the marker
 * (KEYS[1]) must hold the commit's generation (ARGV[1]). Cluster layout: the partition's fence (KEYS[1]) must hold
 * it or be absent (the partition's first commit in this generation); the script sets it once everything passed.
 */
function generationCheckLua(fenced: boolean, before = ''): string {
  return fenced
    ? `local stored_generation = redis.call('GET', KEYS[1])
if stored_generation and stored_generation ~= ARGV[1] then
  ${before}
  return {'generation', stored_generation}
end`
    : `local stored_generation = redis.call('GET', KEYS[1])
if stored_generation ~= ARGV[1] then
  ${before}
  return {'generation', stored_generation or ''}
end`;
}

/** What both scripts do last when fenced: the partition's fence names the generation that wrote it. */
function fenceSetLua(fenced: boolean): string {
  return fenced ? "redis.call('SET', KEYS[1], ARGV[1])" : '';
}

/**
 * KEYS: [generation key, …every other key]; ARGV: the expected generation, then sections, each a count
 * followed by that many fixed-size entries whose first element is an index into KEYS.
 */
function commitLua(fenced: boolean): string {
  return `
${generationCheckLua(fenced)}
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
${fenceSetLua(fenced)}
return {'ok'}
`;
}

/**
 * The final script of a staged commit. KEYS: [generation key, the four staging lists (hash writes, set members,
 * sorted-set members, counters), …offsets hashes]; ARGV: the expected generation, how many entries one `LRANGE`
 * reads, the four lists' expected lengths (elements), then the ranges (a count, then five elements each, the first
 * an index into KEYS). The lists hold flat fixed-width entries: `key field value`, `key member`,
 * `key score member`, `key field by`; their keys are not in KEYS, which Redis Cluster allows only because they
 * carry the same hash tag as the staging lists (the cluster layout commits one partition per script). Whatever it
 * answers, the staging lists are gone afterwards.
 */
function stagedCommitLua(fenced: boolean): string {
  return `
local function drop()
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
end
${generationCheckLua(fenced, 'drop()')}
local slice = tonumber(ARGV[2])
local i = 7
local ranges = tonumber(ARGV[i]); i = i + 1
local first_range = i
for r = 1, ranges do
  local key = KEYS[tonumber(ARGV[i])]
  local stored = redis.call('HGET', key, ARGV[i + 1])
  if stored then
    if stored ~= ARGV[i + 2] then
      drop()
      return {'offsets', tostring(r), stored}
    end
  elseif ARGV[i + 4] ~= '1' then
    drop()
    return {'offsets', tostring(r), ''}
  end
  i = i + 5
end
for s = 1, 4 do
  local length = redis.call('LLEN', KEYS[s + 1])
  if length ~= tonumber(ARGV[s + 2]) then
    drop()
    return {'staging', tostring(s), tostring(length)}
  end
end
local function apply(list, width, write)
  local length = redis.call('LLEN', list)
  local step = slice * width
  for first = 0, length - 1, step do
    local items = redis.call('LRANGE', list, first, first + step - 1)
    for e = 1, #items, width do write(items, e) end
  end
end
apply(KEYS[2], 3, function(t, e) redis.call('HSET', t[e], t[e + 1], t[e + 2]) end)
apply(KEYS[3], 2, function(t, e) redis.call('SADD', t[e], t[e + 1]) end)
apply(KEYS[4], 3, function(t, e) redis.call('ZADD', t[e], t[e + 1], t[e + 2]) end)
apply(KEYS[5], 3, function(t, e) redis.call('HINCRBY', t[e], t[e + 1], t[e + 2]) end)
local j = first_range
for r = 1, ranges do
  redis.call('HSET', KEYS[tonumber(ARGV[j])], ARGV[j + 1], ARGV[j + 3])
  j = j + 5
end
${fenceSetLua(fenced)}
drop()
return {'ok'}
`;
}

/** The single-call commit script of the standalone layout (KEYS[1]: the generation marker). */
export const COMMIT_LUA = commitLua(false);
/** The final script of a staged commit in the standalone layout. */
export const STAGED_COMMIT_LUA = stagedCommitLua(false);
/** The single-call commit script of one partition in the cluster layout (KEYS[1]: the partition's fence). */
export const CLUSTER_COMMIT_LUA = commitLua(true);
/** The final script of one partition's staged commit in the cluster layout. */
export const CLUSTER_STAGED_COMMIT_LUA = stagedCommitLua(true);

/** A script with its SHA1, for EVALSHA. */
interface Script {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

const COMMIT_SCRIPT = script(COMMIT_LUA);
const STAGED_COMMIT_SCRIPT = script(STAGED_COMMIT_LUA);
const CLUSTER_COMMIT_SCRIPT = script(CLUSTER_COMMIT_LUA);
const CLUSTER_STAGED_COMMIT_SCRIPT = script(CLUSTER_STAGED_COMMIT_LUA);

/** One argument of a Redis command. */
type Element = string | Buffer;

/** How large one commit's Redis commands may grow. */
export interface CommitLimits {
  /** Entries (hash writes + set adds + sorted-set adds + counters) a commit may pass to one script call. */
  readonly maxInlineEntries: number;
  /** Bytes (keys, fields, members, values) a commit may pass to one script call. */
  readonly maxInlineBytes: number;
  /** Entries of one staging `RPUSH`. */
  readonly chunkEntries: number;
  /** Bytes of one staging `RPUSH` (an entry larger than this is pushed alone). */
  readonly chunkBytes: number;
  /** Staging `RPUSH`es sent per pipelined round trip. */
  readonly chunksPerRoundTrip: number;
  /** Seconds a staging list lives when its commit never reaches the final script. */
  readonly stagingTtlSeconds: number;
  /** Entries the final script reads per `LRANGE` of a staging list. */
  readonly applySliceEntries: number;
}

/**
 * The limits `commitBatch` uses by default: up to 2,000 entries and 4 MiB in one script call, else staging in
 * chunks of 1,000 entries or 1 MiB, 8 per round trip, kept one hour at most, applied 1,000 entries at a time.
 */
export const DEFAULT_COMMIT_LIMITS: CommitLimits = Object.freeze({
  maxInlineEntries: 2_000,
  maxInlineBytes: 4 * 1024 * 1024,
  chunkEntries: 1_000,
  chunkBytes: 1024 * 1024,
  chunksPerRoundTrip: 8,
  stagingTtlSeconds: 3_600,
  applySliceEntries: 1_000,
});

/** The staging sections, in the order both scripts apply them. */
const SECTIONS = ['hashes', 'members', 'scored', 'counters'] as const;

/** A staging section of a commit. */
export type CommitSection = (typeof SECTIONS)[number];

function byteLength(element: Element): number {
  return typeof element === 'string' ? Buffer.byteLength(element) : element.byteLength;
}

function bytesOf(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * The entries of one section of `request` as flat Redis arguments with key names: `[key, field, value]`,
 * `[key, member]`, `[key, score, member]` or `[key, field, by]`.
 */
export function* sectionEntries(request: CommitRequest, section: CommitSection): Generator<Element[]> {
  switch (section) {
    case 'hashes':
      for (const write of request.hashWrites) yield [write.key, write.field, bytesOf(write.value)];
      return;
    case 'members':
      for (const add of request.setAdds) yield [add.key, add.member];
      return;
    case 'scored':
      for (const add of request.zAdds) yield [add.key, String(add.score), add.member];
      return;
    case 'counters':
      for (const counter of request.counters) yield [counter.key, counter.field, String(counter.by)];
      return;
  }
}

/** How many entries and bytes a commit writes (ranges excluded). */
export function measureCommit(request: CommitRequest): { entries: number; bytes: number } {
  // Plain loops over the sections (what `sectionEntries` yields, without an array per entry).
  let bytes = 0;
  for (const write of request.hashWrites) {
    bytes += byteLength(write.key) + byteLength(write.field) + write.value.byteLength;
  }
  for (const add of request.setAdds) bytes += byteLength(add.key) + byteLength(add.member);
  for (const add of request.zAdds) {
    bytes += byteLength(add.key) + String(add.score).length + byteLength(add.member);
  }
  for (const counter of request.counters) {
    bytes += byteLength(counter.key) + byteLength(counter.field) + String(counter.by).length;
  }
  const entries =
    request.hashWrites.length + request.setAdds.length + request.zAdds.length + request.counters.length;
  return { entries, bytes };
}

/**
 * Groups entries into flat chunks of at most `maxEntries` entries and `maxBytes` bytes each; an entry larger than
 * `maxBytes` makes a chunk of its own. Entries keep their order and are never split.
 *
 * @example
 * ```ts
 * [...chunkEntries([['a', '1'], ['b', '2'], ['c', '3']], 2, 1024)]; // [['a', '1', 'b', '2'], ['c', '3']]
 * ```
 */
export function* chunkEntries(
  entries: Iterable<readonly Element[]>,
  maxEntries: number,
  maxBytes: number,
): Generator<Element[]> {
  let chunk: Element[] = [];
  let count = 0;
  let bytes = 0;
  for (const entry of entries) {
    let size = 0;
    for (const element of entry) size += byteLength(element);
    if (count > 0 && (count >= maxEntries || bytes + size > maxBytes)) {
      yield chunk;
      chunk = [];
      count = 0;
      bytes = 0;
    }
    for (const element of entry) chunk.push(element);
    count++;
    bytes += size;
  }
  if (count > 0) yield chunk;
}

function resolveLimits(overrides: Partial<CommitLimits>): CommitLimits {
  const limits = { ...DEFAULT_COMMIT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new SpeedError(
        'OXBOW_SPEED_BAD_OPTIONS',
        `commit limit ${name} must be a positive integer, got ${value}`,
      );
    }
  }
  return limits;
}

/** Runs a script by its SHA1 (loading it with EVAL on `NOSCRIPT`), its arguments in one prebuilt array. */
async function runScript(
  redis: RedisClient,
  { lua, sha }: Script,
  keys: readonly string[],
  args: readonly Element[],
): Promise<unknown> {
  const command: Element[] = [sha, String(keys.length)];
  for (const key of keys) command.push(key);
  for (const arg of args) command.push(arg);
  try {
    return await redis.call('evalsha', command);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    command[0] = lua;
    return await redis.call('eval', command);
  }
}

/** KEYS and ARGV of the ranges section, appended to `args`; offsets hashes get indexes into `keys`. */
function appendRanges(
  layout: RedisLayout,
  ranges: readonly CommitRange[],
  indexOf: (key: string) => string,
  args: Element[],
): void {
  args.push(String(ranges.length));
  for (const range of ranges) {
    args.push(
      indexOf(layout.offsets(range.topic, range.partition)),
      String(range.partition),
      range.fromOffset,
      range.untilOffset,
      range.absentOk ? '1' : '0',
    );
  }
}

/** A key list for a script's KEYS and a function giving each key's (1-based) index, adding it when new. */
function keyTable(initial: readonly string[]): { keys: string[]; indexOf: (key: string) => string } {
  const keys: string[] = [];
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
  for (const key of initial) indexOf(key);
  return { keys, indexOf };
}

/** The single-call commit of a small request. */
async function commitInline(
  redis: RedisClient,
  layout: RedisLayout,
  request: CommitRequest,
  partition?: number,
): Promise<CommitResult> {
  const { keys, indexOf } = keyTable([generationKey(layout, partition)]);
  const args: Element[] = [request.generation];
  appendRanges(layout, request.ranges, indexOf, args);
  for (const section of SECTIONS) {
    let count = 0;
    const countAt = args.length;
    args.push('');
    for (const entry of sectionEntries(request, section)) {
      args.push(indexOf(entry[0] as string));
      for (let e = 1; e < entry.length; e++) args.push(entry[e] as Element);
      count++;
    }
    args[countAt] = String(count);
  }
  const commitScript = layout.cluster ? CLUSTER_COMMIT_SCRIPT : COMMIT_SCRIPT;
  return interpretReply(await runScript(redis, commitScript, keys, args), request);
}

/** The staging lists of one commit, written but not yet applied. */
export interface StagedCommit {
  /** The commit's unique token, part of the staging keys. */
  readonly token: string;
  /** The staging list of each section, in the order hash writes, set adds, sorted-set adds, counters. */
  readonly keys: readonly string[];
  /** The elements pushed to each list. */
  readonly lengths: readonly number[];
}

/**
 * Writes the entries of `request` to fresh staging lists (`RedisLayout.staging`) in bounded, pipelined `RPUSH`
 * chunks, each list expiring after `stagingTtlSeconds`. Changes nothing visible: only {@link finishStagedCommit}
 * applies the lists. On failure it deletes what it staged (best effort) and rethrows.
 *
 * @example
 * ```ts
 * const staged = await stageCommit(redis, layout, request);
 * const result = await finishStagedCommit(redis, layout, request, staged);
 * ```
 */
export async function stageCommit(
  redis: RedisClient,
  layout: RedisLayout,
  request: CommitRequest,
  limits: Partial<CommitLimits> = {},
  partition?: number,
): Promise<StagedCommit> {
  const resolved = resolveLimits(limits);
  const token = randomUUID();
  const keys = SECTIONS.map((section) => layout.staging(token, section, partition));
  const lengths = SECTIONS.map(() => 0);
  let pipeline = redis.pipeline();
  let queued = 0;
  const flush = async (): Promise<void> => {
    if (queued === 0) return;
    const replies = (await pipeline.exec()) ?? [];
    pipeline = redis.pipeline();
    queued = 0;
    for (const [error] of replies) {
      if (error)
        throw new SpeedError('OXBOW_SPEED_REDIS', `cannot stage commit ${token}`, {
          cause: error,
          retriable: true,
        });
    }
  };
  try {
    for (let s = 0; s < SECTIONS.length; s++) {
      const key = keys[s] as string;
      const section = SECTIONS[s] as CommitSection;
      for (const chunk of chunkEntries(
        sectionEntries(request, section),
        resolved.chunkEntries,
        resolved.chunkBytes,
      )) {
        const command: Element[] = [key];
        for (const element of chunk) command.push(element);
        pipeline.call('rpush', command);
        pipeline.expire(key, resolved.stagingTtlSeconds);
        lengths[s] = (lengths[s] ?? 0) + chunk.length;
        if (++queued >= resolved.chunksPerRoundTrip) await flush();
      }
    }
    await flush();
  } catch (error) {
    await redis.call('unlink', keys).catch(() => undefined);
    throw error;
  }
  return { token, keys, lengths };
}

/**
 * The final, atomic step of a staged commit: checks the generation and every range's stored offset exactly as
 * the single-call commit does and, only if all match and the staging lists are complete, applies them, moves the
 * offsets and deletes the lists. On a refusal the lists are deleted too and nothing else changes. Throws a
 * retriable `SpeedError` (having written nothing) when a staging list expired or was deleted before this ran.
 */
export async function finishStagedCommit(
  redis: RedisClient,
  layout: RedisLayout,
  request: CommitRequest,
  staged: StagedCommit,
  limits: Partial<CommitLimits> = {},
  partition?: number,
): Promise<CommitResult> {
  const resolved = resolveLimits(limits);
  const { keys, indexOf } = keyTable([generationKey(layout, partition), ...staged.keys]);
  const args: Element[] = [request.generation, String(resolved.applySliceEntries)];
  for (const length of staged.lengths) args.push(String(length));
  appendRanges(layout, request.ranges, indexOf, args);
  let reply: unknown;
  try {
    const stagedScript = layout.cluster ? CLUSTER_STAGED_COMMIT_SCRIPT : STAGED_COMMIT_SCRIPT;
    reply = await runScript(redis, stagedScript, keys, args);
  } catch (error) {
    // The script either ran (and deleted the lists) or did not; deleting them again is harmless either way.
    await redis.call('unlink', [...staged.keys]).catch(() => undefined);
    throw error;
  }
  if (Array.isArray(reply) && reply[0] === 'staging') {
    const section = Number(reply[1]) - 1;
    throw new SpeedError(
      'OXBOW_SPEED_REDIS',
      `staging list ${staged.keys[section] ?? '?'} of commit ${staged.token} holds ${String(reply[2])} of ${staged.lengths[section] ?? '?'} elements (expired or deleted before the final script); nothing was written`,
      { retriable: true },
    );
  }
  return interpretReply(reply, request);
}

/**
 * Commits `request` atomically: in one script call when it is small (`maxInlineEntries`, `maxInlineBytes`),
 * else staged in bounded chunks and applied by one final script ({@link stageCommit},
 * {@link finishStagedCommit}). Either way nothing is written unless the generation and every offset match.
 *
 * @example
 * ```ts
 * const result = await commitBatch(redis, layout, { generation, ranges, hashWrites, setAdds: [], zAdds: [], counters: [] });
 * if (result.kind !== 'committed') await stream.batchRefused(time);
 * ```
 */
export async function commitBatch(
  redis: RedisClient,
  layout: RedisLayout,
  request: CommitRequest,
  limits: Partial<CommitLimits> = {},
): Promise<CommitResult> {
  const resolved = resolveLimits(limits);
  if (!layout.cluster) return commitOne(redis, layout, request, resolved);
  const parts = splitByPartition(request);
  const results = await Promise.all(
    [...parts].map(([partition, part]) => commitOne(redis, layout, part, resolved, partition)),
  );
  const refused =
    results.find((result) => result.kind === 'generation-changed') ??
    results.find((result) => result.kind !== 'committed');
  if (refused !== undefined) return refused;
  await execCommands(
    redis,
    request.counters.map((counter) => ({
      name: 'hincrby',
      args: [counter.key, counter.field, String(counter.by)],
    })),
  );
  return { kind: 'committed' };
}

/** One atomic commit: inline or staged; in the cluster layout, of one partition (`partition`). */
async function commitOne(
  redis: RedisClient,
  layout: RedisLayout,
  request: CommitRequest,
  limits: CommitLimits,
  partition?: number,
): Promise<CommitResult> {
  const size = measureCommit(request);
  if (size.entries <= limits.maxInlineEntries && size.bytes <= limits.maxInlineBytes) {
    // Fault tests: the batch is folded, nothing of it is written.
    if (request.hashWrites.length > 0) failpoint('mid-batch');
    return commitInline(redis, layout, request, partition);
  }
  const staged = await stageCommit(redis, layout, request, limits, partition);
  // Fault tests: the staging lists hold the batch, nothing of it is visible.
  if (request.hashWrites.length > 0) failpoint('mid-batch');
  return finishStagedCommit(redis, layout, request, staged, limits, partition);
}

/** The key the commit script checks the generation against: the marker, or one partition's fence. */
function generationKey(layout: RedisLayout, partition: number | undefined): string {
  if (!layout.cluster) return layout.generation();
  if (partition === undefined) {
    throw new SpeedError('OXBOW_SPEED_STATE', 'a cluster-layout commit needs its partition');
  }
  return layout.fence(partition);
}

/**
 * The cluster layout's parts of a commit: one request per Kafka partition with its ranges and writes, without
 * counters. Every write must name a partition that has a range in the request.
 */
export function splitByPartition(request: CommitRequest): Map<number, CommitRequest> {
  type Part = {
    ranges: CommitRange[];
    hashWrites: Array<CommitRequest['hashWrites'][number]>;
    setAdds: Array<CommitRequest['setAdds'][number]>;
    zAdds: Array<CommitRequest['zAdds'][number]>;
  };
  const parts = new Map<number, Part>();
  for (const range of request.ranges) {
    let part = parts.get(range.partition);
    if (part === undefined) {
      part = { ranges: [], hashWrites: [], setAdds: [], zAdds: [] };
      parts.set(range.partition, part);
    }
    part.ranges.push(range);
  }
  const partOf = (partition: number | undefined, key: string): Part => {
    const part = partition === undefined ? undefined : parts.get(partition);
    if (part === undefined) {
      throw new SpeedError(
        'OXBOW_SPEED_STATE',
        `commit entry ${key} names partition ${String(partition)}, which has no range in the commit`,
      );
    }
    return part;
  };
  for (const write of request.hashWrites) partOf(write.partition, write.key).hashWrites.push(write);
  for (const add of request.setAdds) partOf(add.partition, add.key).setAdds.push(add);
  for (const add of request.zAdds) partOf(add.partition, add.key).zAdds.push(add);
  const out = new Map<number, CommitRequest>();
  for (const [partition, part] of parts) {
    out.set(partition, { generation: request.generation, counters: [], ...part });
  }
  return out;
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
