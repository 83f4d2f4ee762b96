/**
 * The Redis keys the speed layer writes and the serving layer reads (docs/design/0002-layer-contracts.md,
 * "Real-time increments"), under a configurable prefix (`OXBOW_REDIS_PREFIX`, default `oxbow:`) so tests and
 * tenants can share one Redis:
 *
 * | key | type | content |
 * | --- | --- | --- |
 * | `<prefix>rt:<view>:<epoch>:<partition>:<key>` | hash | `<bucketStartMs>` → aggregator state (codec bytes) |
 * | `<prefix>rtkeys:<view>:<epoch>` | set | view keys with increments in the epoch |
 * | `<prefix>rtepochs:<view>` | sorted set | epochs with increments (score = epoch) |
 * | `<prefix>offsets:<topic>` | hash | `<partition>` → next offset to process |
 * | `<prefix>generation` | string | random id set when the speed layer initialized Redis |
 * | `<prefix>live:<view>` | string | JSON of a speed-only view's latest value |
 * | `<prefix>speed:status` | hash | `lagMs`, `lastBatchTime`, `realtimeThrough`, counters |
 * | `<prefix>staging:<token>:<section>` | list | a large commit's staged writes (speed layer only) |
 * | `<prefix>rtcommits` | pub/sub channel | after each successful commit, what it changed (see {@link RedisLayout.commits}) |
 * | `<prefix>model:<name>` | string | the speed layer's latest version of a project model (`SpeedModelRecord` JSON) |
 * | `<prefix>reconciliation` | hash | `<view>` → the last batch-vs-speed reconciliation (`ViewReconciliation` JSON) |
 * | `<prefix>reconciliation:lock` | string | the speed instance reconciling a new batch version (expires) |
 *
 * **Cluster layout** (`new RedisLayout(prefix, { cluster: true })`, for Redis Cluster; docs/design/0010-redis-cluster.md):
 * a commit is atomic per Kafka partition, so every key one partition's commit touches carries the hash tag
 * `{<prefix><partition>}` ({@link RedisLayout.partitionTag}) and lands in one hash slot: the increments
 * `<prefix>rt:<view>:<epoch>:{<prefix><partition>}:<key>`, the key index `<prefix>rtkeys:<view>:<epoch>:{…}`, the epoch
 * set `<prefix>rtepochs:<view>:{…}`, the offsets `<prefix>offsets:<topic>:{…}` (a hash with the one field
 * `<partition>`), the partition's generation fence `<prefix>fence:{…}` and its staging lists. Readers find a topic's
 * partitions in `<prefix>partitions:<topic>` (a set). The generation marker and its hash share the tag
 * `{<prefix>generation}`. Single keys (status, live views, models, reconciliation) are the same in both layouts.
 */
import { ContractError } from '../errors/contract-error.ts';

/** The prefix of every key when `OXBOW_REDIS_PREFIX` is not set. */
export const DEFAULT_REDIS_PREFIX = 'oxbow:';

/** The parts of an increments hash key `<prefix>rt:<view>:<epoch>:<partition>:<key>`. */
export interface IncrementsKeyParts {
  readonly view: string;
  readonly epoch: number;
  readonly partition: number;
  /** The view key (may itself contain `:`). */
  readonly key: string;
}

const GLOB_SPECIAL = /[*?[\]\\]/g;
const INCREMENTS_TAIL = /^([^:]+):(-?\d+):(\d+):([\s\S]*)$/;

/** Options of a {@link RedisLayout}. */
export interface RedisLayoutOptions {
  /**
   * True for Redis Cluster: every key one Kafka partition's commit touches carries that partition's hash tag, so the
   * commit script runs in one hash slot (see the module comment). Default false: the standalone layout.
   */
  readonly cluster?: boolean;
}

/**
 * Escapes Redis glob characters so `text` matches itself in a `SCAN … MATCH` pattern.
 *
 * @example
 * escapeGlob('t[1]:'); // 't\\[1\\]:'
 */
export function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIAL, (c) => `\\${c}`);
}

/**
 * Builds and parses the layers' Redis keys. View names and topics contain no `:` (view keys may).
 *
 * @example
 * ```ts
 * const layout = new RedisLayout('oxbow:');
 * layout.increments('page_views_hourly', 489012, 2, '/cart'); // 'oxbow:rt:page_views_hourly:489012:2:/cart'
 * layout.offsets('http_logs'); // 'oxbow:offsets:http_logs'
 * ```
 */
export class RedisLayout {
  /** The prefix of every key, `oxbow:` by default. */
  readonly prefix: string;

  /** True for the Redis Cluster layout (keys tagged per Kafka partition). */
  readonly cluster: boolean;
  /** What follows `<prefix>rt:` in an increments key: view, epoch, partition (or its tag), view key. */
  readonly #incrementsTail: RegExp;

  constructor(prefix: string = DEFAULT_REDIS_PREFIX, options: RedisLayoutOptions = {}) {
    this.cluster = options.cluster === true;
    if (this.cluster && /[{}]/.test(prefix)) {
      throw new ContractError(
        'OXBOW_REDIS_LAYOUT',
        `the Redis prefix ${JSON.stringify(prefix)} contains a brace: with Redis Cluster the layout adds its own hash tags`,
      );
    }
    this.prefix = prefix;
    const escapedPrefix = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.#incrementsTail = this.cluster
      ? new RegExp(`^([^:]+):(-?\\d+):\\{${escapedPrefix}(\\d+)\\}:([\\s\\S]*)$`)
      : INCREMENTS_TAIL;
  }

  /**
   * The hash tag of one Kafka partition's keys in the cluster layout, `{<prefix><partition>}` (partitions of every
   * topic with the same number share it); empty in the standalone layout.
   */
  partitionTag(partition: number): string {
    return this.cluster ? `{${this.prefix}${partition}}` : '';
  }

  /** Hash of one (view, epoch, partition, key): field `<bucketStartMs>` → the aggregator state's codec bytes. */
  increments(view: string, epoch: number, partition: number, key: string): string {
    const part = this.cluster ? this.partitionTag(partition) : String(partition);
    return `${this.prefix}rt:${view}:${epoch}:${part}:${key}`;
  }

  /**
   * Set of the view keys with increments in an epoch; in the cluster layout one set per partition (`partition`
   * required), in the standalone layout one for all partitions (`partition` ignored).
   */
  keyIndex(view: string, epoch: number, partition?: number): string {
    return `${this.prefix}rtkeys:${view}:${epoch}${this.#tagSuffix(partition, 'keyIndex')}`;
  }

  /**
   * Sorted set of the epochs with increments of a view (score = epoch); per partition in the cluster layout
   * (`partition` required), one for all partitions in the standalone layout.
   */
  epochs(view: string, partition?: number): string {
    return `${this.prefix}rtepochs:${view}${this.#tagSuffix(partition, 'epochs')}`;
  }

  /**
   * Hash `<partition>` → next offset to process, of one Kafka topic: one hash per topic in the standalone layout
   * (`partition` ignored), one per topic and partition (with that one field) in the cluster layout (`partition`
   * required; find the partitions in {@link RedisLayout.partitions}).
   */
  offsets(topic: string, partition?: number): string {
    return `${this.prefix}offsets:${topic}${this.#tagSuffix(partition, 'offsets')}`;
  }

  /**
   * Cluster layout: the set of a Kafka topic's partitions that have (or had) a commit in this generation, written
   * before the partition's first commit, so readers know which tagged keys to read.
   */
  partitions(topic: string): string {
    return `${this.prefix}partitions:${topic}`;
  }

  /**
   * Cluster layout: one partition's generation fence, in the partition's hash slot. The commit script refuses when
   * it names another generation than the commit's and sets it when absent (the standalone layout checks the
   * marker itself: this returns {@link RedisLayout.generation}).
   */
  fence(partition: number): string {
    return this.cluster ? `${this.prefix}fence:${this.partitionTag(partition)}` : this.generation();
  }

  /** The generation marker: a random id set when the speed layer initialized Redis. */
  generation(): string {
    return this.cluster ? `${this.prefix}generation:{${this.prefix}generation}` : `${this.prefix}generation`;
  }

  /**
   * Hash describing the current generation, written together with the marker: `generation` (its id),
   * `viewsFingerprint` (hash of the maintained views' sorted `name@fingerprint` list), `viewFingerprints` (JSON
   * name → fingerprint) and `rebuildTargets` (JSON Kafka topic → partition → offset the generation replays up to
   * before its answers are complete).
   */
  generationViews(): string {
    return `${this.generation()}:views`;
  }

  /** A `SCAN` pattern for every live-view key. */
  livePattern(): string {
    return `${escapeGlob(this.prefix)}live:*`;
  }

  /** JSON of a speed-only view's latest value. */
  live(view: string): string {
    return `${this.prefix}live:${view}`;
  }

  /**
   * The pub/sub channel the speed layer announces each successful commit on, right after its commit script
   * (`PUBLISH`, at most once, never retried): JSON `{ "v": 1, "generation": "<id>", "offsets": { "<kafkaTopic>":
   * { "<partition>": "<next offset>" } }, "views": { "<view>": { "<epoch>": { "<partition>": ["<key>", …] } } } }`
   * — the increments hashes the commit wrote, grouped — or `"views": null` when they were too many to list
   * (read the views of those topics again). A hint for readers that mirror the increments (the serving layer):
   * a lost announcement shows as offsets that moved without one, so readers must compare the offsets hashes.
   */
  commits(): string {
    return `${this.prefix}rtcommits`;
  }

  /**
   * JSON of the speed layer's latest version of a project model (`defineModel`): the batch model it started from,
   * updated with every micro-batch since (`encodeSpeedModel` / `decodeSpeedModel`).
   */
  model(name: string): string {
    return `${this.prefix}model:${name}`;
  }

  /**
   * Hash `<view>` → JSON of the view's last reconciliation (`encodeReconciliation`): the previous batch version ⊕
   * the increments of the epochs a new version covers, compared with the new version before they expire.
   */
  reconciliation(): string {
    return `${this.prefix}reconciliation`;
  }

  /** Held (with an expiry) by the speed instance reconciling a new batch version; others wait to expire. */
  reconciliationLock(): string {
    return `${this.prefix}reconciliation:lock`;
  }

  /** Hash of the speed layer's health and lag. */
  status(): string {
    return `${this.prefix}speed:status`;
  }

  /**
   * A staging list of one large commit: `<prefix>staging:<token>:<section>`, written in bounded chunks before the
   * commit's final script applies it (and deletes it). Never read by anything else; it expires if the commit
   * never finishes.
   */
  staging(token: string, section: string, partition?: number): string {
    return this.cluster
      ? `${this.prefix}staging:${this.#requireTag(partition, 'staging')}:${token}:${section}`
      : `${this.prefix}staging:${token}:${section}`;
  }

  /** A `SCAN` pattern for every staging list under this prefix. */
  stagingPattern(): string {
    return `${escapeGlob(this.prefix)}staging:*`;
  }

  /** A `SCAN` pattern for every increments hash of one view and epoch. */
  incrementsPattern(view: string, epoch: number): string {
    return `${escapeGlob(this.prefix)}rt:${escapeGlob(view)}:${epoch}:*`;
  }

  /** `SCAN` patterns of every key this layout owns that a rebuild starts over from. */
  rebuildPatterns(): string[] {
    const p = escapeGlob(this.prefix);
    const patterns = [`${p}rt:*`, `${p}rtkeys:*`, `${p}rtepochs:*`, `${p}offsets:*`];
    if (this.cluster) patterns.push(`${p}partitions:*`, `${p}fence:*`);
    return patterns;
  }

  /** The parts of an increments key, or undefined when `key` is not one. */
  parseIncrements(key: string): IncrementsKeyParts | undefined {
    const head = `${this.prefix}rt:`;
    if (!key.startsWith(head)) return undefined;
    const match = this.#incrementsTail.exec(key.slice(head.length));
    if (!match) return undefined;
    const [, view, epoch, partition, viewKey] = match;
    if (view === undefined || epoch === undefined || partition === undefined || viewKey === undefined)
      return undefined;
    return { view, epoch: Number(epoch), partition: Number(partition), key: viewKey };
  }

  #requireTag(partition: number | undefined, name: string): string {
    if (partition === undefined || !Number.isSafeInteger(partition) || partition < 0) {
      throw new ContractError(
        'OXBOW_REDIS_LAYOUT',
        `RedisLayout.${name}: the cluster layout needs a partition (got ${String(partition)})`,
      );
    }
    return this.partitionTag(partition);
  }

  #tagSuffix(partition: number | undefined, name: string): string {
    return this.cluster ? `:${this.#requireTag(partition, name)}` : '';
  }
}
