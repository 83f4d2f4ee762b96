/**
 * The generation marker (`<prefix>generation`): a random id the speed layer sets when it initializes Redis. A
 * missing marker means Redis lost its data (restart without persistence, FLUSHALL); a different one means
 * another instance re-initialized it. Either way the speed layer rebuilds its increments by replaying Kafka.
 * The view set is part of the generation (`<prefix>generation:views`): starting with a project whose views
 * differ from the generation's starts a new generation the same way, so states of an old definition are never
 * merged with states of a new one.
 */
import { randomUUID } from 'node:crypto';
import { type RedisClient, scanKeys, unlinkKeys } from '@oxbow/connectors';
import { escapeGlob, type RedisLayout } from '@oxbow/contracts';
import { SpeedError } from './errors.ts';

/** The generation in Redis, or null when there is none. */
export function readGeneration(redis: RedisClient, layout: RedisLayout): Promise<string | null> {
  return redis.get(layout.generation());
}

/** Deletes the marker when it holds `generation` (atomically); resolves whether it did. */
const ABANDON_GENERATION_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

/**
 * Gives up `generation`: deletes the marker if it still holds it, so that the next {@link ensureGeneration} starts
 * a new generation (wiping every key of the layout). Resolves true when it deleted the marker.
 *
 * @example
 * ```ts
 * if (await abandonGeneration(redis, layout, generation)) requestRebuild('a stale partition fence');
 * ```
 */
export async function abandonGeneration(
  redis: RedisClient,
  layout: RedisLayout,
  generation: string,
): Promise<boolean> {
  return (await redis.eval(ABANDON_GENERATION_LUA, 1, layout.generation(), generation)) === 1;
}

/** Per Kafka topic, per partition: an offset (decimal string). */
export type PartitionOffsets = Record<string, Record<string, string>>;

/** The view set a generation holds increments of (see view-set.ts). */
export interface GenerationViews {
  /** Hash of the sorted `name@fingerprint` list of the maintained views. */
  readonly viewsFingerprint: string;
  /** Name → fingerprint of each maintained view. */
  readonly viewFingerprints: Readonly<Record<string, string>>;
}

/** Why {@link ensureGeneration} started a generation. */
export type GenerationReason = 'missing' | 'views-changed';

/** What {@link ensureGeneration} found or did. */
export interface GenerationOutcome {
  readonly generation: string;
  /** True when this call started the generation: increments start over. */
  readonly created: boolean;
  /** Why it started one: Redis held no marker (lost data, or first start), or one of another view set. */
  readonly reason?: GenerationReason;
  /** Keys of an older generation deleted on initialization. */
  readonly deletedKeys: number;
  /**
   * The offsets this generation replays up to before its answers are complete (stored with the generation, so
   * a restarted instance still knows them); empty when there is nothing to replay.
   */
  readonly rebuildTargets: PartitionOffsets;
}

/** Options of {@link ensureGeneration}. */
export interface EnsureGenerationOptions {
  /**
   * The view set the caller maintains. A generation of another view set (or of none recorded) is replaced by a
   * new one; without this option any generation is adopted.
   */
  readonly views?: GenerationViews;
  /**
   * Whether a generation of another view set may be replaced (default true). False makes it an
   * `OXBOW_SPEED_STATE` error instead: a running instance whose marker was replaced by an instance with another
   * project must not adopt that generation.
   */
  readonly replaceOtherViews?: boolean;
  /**
   * The rebuild targets of a new generation, given the offsets the previous one had reached (undefined when
   * Redis held no generation). Default: none.
   */
  readonly rebuildTargets?: (previous: PartitionOffsets | undefined) => Promise<PartitionOffsets>;
  /**
   * Called once a new generation is decided, before anything of the old one is deleted: the caller marks its
   * status `rebuilding`, so no reader merges a batch view with increments that are being deleted.
   */
  readonly beforeDelete?: () => Promise<void>;
}

/** Deletes every key matching `pattern` (SCAN + UNLINK in chunks); resolves how many. */
export async function deleteMatching(redis: RedisClient, pattern: string): Promise<number> {
  let deleted = 0;
  await scanKeys(redis, pattern, async (keys) => {
    deleted += await unlinkKeys(redis, keys);
  });
  return deleted;
}

/**
 * Installs a generation: only if the marker still holds ARGV[1] (empty: absent), sets it to ARGV[2] and
 * replaces the generation hash, atomically. Returns 1 when installed, 0 when the marker changed meanwhile.
 */
const INSTALL_GENERATION_LUA = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if current then return 0 end
elseif current ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'generation', ARGV[2], 'viewsFingerprint', ARGV[3], 'viewFingerprints', ARGV[4], 'rebuildTargets', ARGV[5])
return 1
`;

/**
 * Every stored offset of the layout by Kafka topic: the `offsets:<topic>` hashes, or in the cluster layout the
 * `offsets:<topic>:{<tag>}` hashes of each partition.
 */
async function readAllOffsets(redis: RedisClient, layout: RedisLayout): Promise<PartitionOffsets> {
  const head = `${layout.prefix}offsets:`;
  const offsets: PartitionOffsets = {};
  await scanKeys(redis, `${escapeGlob(head)}*`, async (keys) => {
    for (const key of keys) {
      const topic = layout.cluster
        ? key.slice(head.length).replace(/:\{[^}]*\}$/, '')
        : key.slice(head.length);
      offsets[topic] = { ...offsets[topic], ...(await redis.hgetall(key)) };
    }
  });
  return offsets;
}

/** The stored rebuild targets of a generation hash, or none when it belongs to another generation. */
function storedTargets(fields: Record<string, string>, generation: string): PartitionOffsets {
  if (fields.generation !== generation || fields.rebuildTargets === undefined) return {};
  try {
    const parsed = JSON.parse(fields.rebuildTargets) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as PartitionOffsets) : {};
  } catch {
    return {};
  }
}

/**
 * Returns the current generation, starting a new one when the marker is missing (Redis lost its data, or it is
 * the first start) or, given `options.views`, when the generation holds increments of another view set (a view
 * was changed, added or removed). Starting one deletes every leftover of the layout (increments, indexes,
 * offsets) first, so a rebuild never adds to stale values or merges states of an old definition, then installs
 * the marker and the generation hash (`generation:views`) atomically, only if the marker is still what was read
 * (another instance may have won; its generation is then adopted if its view set matches).
 *
 * @example
 * ```ts
 * const { generation, created, reason } = await ensureGeneration(redis, layout, { views });
 * if (created) console.log(`rebuilding the increments (${reason})`);
 * ```
 */
export async function ensureGeneration(
  redis: RedisClient,
  layout: RedisLayout,
  options: EnsureGenerationOptions = {},
): Promise<GenerationOutcome> {
  const { views } = options;
  for (let attempt = 1; attempt <= 5; attempt++) {
    const [existing, fields] = await Promise.all([
      readGeneration(redis, layout),
      redis.hgetall(layout.generationViews()),
    ]);
    if (existing !== null) {
      if (views === undefined || fields.viewsFingerprint === views.viewsFingerprint) {
        return {
          generation: existing,
          created: false,
          deletedKeys: 0,
          rebuildTargets: storedTargets(fields, existing),
        };
      }
      if (options.replaceOtherViews === false) {
        throw new SpeedError(
          'OXBOW_SPEED_STATE',
          `Redis holds generation ${existing} of another view set (${fields.viewsFingerprint ?? 'none recorded'}; this instance maintains ${views.viewsFingerprint}): an instance running another project replaced it`,
        );
      }
    }
    const previous = existing === null ? undefined : await readAllOffsets(redis, layout);
    const rebuildTargets = (await options.rebuildTargets?.(previous)) ?? {};
    await options.beforeDelete?.();
    let deletedKeys = 0;
    for (const pattern of layout.rebuildPatterns()) deletedKeys += await deleteMatching(redis, pattern);
    const generation = randomUUID();
    const installed = await redis.eval(
      INSTALL_GENERATION_LUA,
      2,
      layout.generation(),
      layout.generationViews(),
      existing ?? '',
      generation,
      views?.viewsFingerprint ?? '',
      JSON.stringify(views?.viewFingerprints ?? {}),
      JSON.stringify(rebuildTargets),
    );
    if (installed === 1) {
      return {
        generation,
        created: true,
        reason: existing === null ? 'missing' : 'views-changed',
        deletedKeys,
        rebuildTargets,
      };
    }
  }
  throw new SpeedError(
    'OXBOW_SPEED_REDIS',
    'the generation marker kept changing while initializing a generation (instances racing?)',
    { retriable: true },
  );
}
