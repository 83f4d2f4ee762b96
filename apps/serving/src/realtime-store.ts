/**
 * Reads the speed layer's increments from Redis (docs/design/0002-layer-contracts.md; keys by the `RedisLayout`
 * of `@oxbow/contracts`): per-partition hashes `<prefix>rt:<view>:<epoch>:<partition>:<key>` (field = bucket
 * start, value = codec bytes) for the epochs listed in `<prefix>rtepochs:<view>`, the keys of an epoch in
 * `<prefix>rtkeys:<view>:<epoch>`, the speed layer's status and the speed-only live views. On Redis Cluster
 * (the cluster layout) the epoch and key sets are kept per Kafka partition, in the partition's hash slot: the
 * store reads each partition's sets and only that partition's hashes for their keys, one command per key
 * (sent at once, each to its node, by the cluster client), never a pipeline across slots.
 */
import { hgetallBuffers, type RedisClient, topicPartitions } from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import type { BucketRange, StoredState } from './batch-snapshot.ts';
import { ServingError } from './errors.ts';

/** Where the speed layer stands, from `<prefix>speed:status`. */
export interface SpeedStatus {
  /** The largest Kafka append time processed (ISO-8601), if reported. */
  readonly realtimeThrough: string | null;
  /** The speed layer's lag behind Kafka in ms, if reported. */
  readonly speedLagMs: number | null;
}

/** The speed layer's status hash as the serving layer reads it: its position and the views it maintains. */
export interface SpeedReport {
  /** True when `<prefix>speed:status` exists (the speed layer has reported at least once). */
  readonly reported: boolean;
  /** The position answers report in `freshness`. */
  readonly status: SpeedStatus;
  /**
   * The fingerprint of each view whose increments the speed layer maintains, from the hash field
   * `viewFingerprints` (JSON `{ "<view>": "<fingerprint>" }`); `undefined` when the field is absent or not such
   * an object (a speed layer that does not report fingerprints).
   */
  readonly viewFingerprints: Readonly<Record<string, string>> | undefined;
  /**
   * True while the speed layer's current generation replays Kafka up to where the previous one had reached (its
   * hash field `rebuilding` is `true`): the increments are incomplete until then.
   */
  readonly replaying: boolean;
  /**
   * True when the speed layer had reported to this server and both its status and the generation marker are gone
   * since (Redis lost its data): the increments are missing until the speed layer rebuilds them.
   */
  readonly lost?: boolean;
}

/** The realtime part of a read: the increments and the epochs after the watermark they came from. */
export interface RealtimeRead {
  readonly states: StoredState[];
  /** The epochs after the watermark holding increments of the view, ascending. */
  readonly epochs: number[];
}

/** Options of a {@link RealtimeStore}. */
export interface RealtimeStoreOptions {
  /** True for the Redis Cluster key layout (`RedisLayout`'s `cluster` option); default false. */
  readonly cluster?: boolean;
}

/** One increments hash to read, and the view key it holds. */
interface HashTarget {
  readonly key: string;
  readonly hash: string;
}

/** How many `HGETALL`s are in flight at once (a pipeline on standalone Redis, per node on a cluster). */
const HGETALL_CHUNK = 500;

/**
 * The realtime part of a view: the increments of epochs after the batch watermark.
 *
 * @example
 * const realtime = new RealtimeStore(redis, 'oxbow:', { orders: ['orders'] });
 * await realtime.states('orders_by_store_hourly', 'orders', ['amsterdam-01'], 489012, {});
 */
export class RealtimeStore {
  readonly #redis: RedisClient;
  readonly #layout: RedisLayout;
  readonly #kafkaTopics: Readonly<Record<string, readonly string[]>>;

  /**
   * @param redis a standalone client, or a cluster client with `options.cluster`.
   * @param kafkaTopics the Kafka topics the speed layer consumes for each project topic (its offsets hashes are
   *   named after the Kafka topics; see `bindTopics` of `@oxbow/views`); a project topic not listed is its own
   *   Kafka topic.
   */
  constructor(
    redis: RedisClient,
    prefix: string,
    kafkaTopics: Readonly<Record<string, readonly string[]>> = {},
    options: RealtimeStoreOptions = {},
  ) {
    this.#redis = redis;
    this.#layout = new RedisLayout(prefix, { cluster: options.cluster === true });
    this.#kafkaTopics = kafkaTopics;
  }

  /**
   * The epochs after `afterEpoch` that hold increments of `view` (whose events come from project topic `topic`),
   * ascending. On a cluster, the union of the epoch sets of the topic's partitions.
   */
  epochsAfter(view: string, topic: string, afterEpoch: number | undefined): Promise<number[]> {
    return unavailableOnFailure(async () => {
      if (!this.#layout.cluster) return this.#epochsOf(this.#layout.epochs(view), afterEpoch);
      const epochs = new Set<number>();
      for (const partition of await this.#partitions(topic)) {
        for (const epoch of await this.#epochsOf(this.#layout.epochs(view, partition), afterEpoch))
          epochs.add(epoch);
      }
      return [...epochs].sort((a, b) => a - b);
    });
  }

  /**
   * The increments of `view` for `keys` in `range`, over every epoch after `afterEpoch` and every partition.
   * Without `keys`, the keys of each epoch's `<prefix>rtkeys:<view>:<epoch>` set (per partition on a cluster).
   */
  async states(
    view: string,
    topic: string,
    keys: readonly string[] | undefined,
    afterEpoch: number | undefined,
    range: BucketRange,
  ): Promise<StoredState[]> {
    return (await this.read(view, topic, keys, afterEpoch, range)).states;
  }

  /** {@link RealtimeStore.states} with the epochs they were read from. */
  read(
    view: string,
    topic: string,
    keys: readonly string[] | undefined,
    afterEpoch: number | undefined,
    range: BucketRange,
  ): Promise<RealtimeRead> {
    return unavailableOnFailure(async () => {
      const { epochs, targets } = this.#layout.cluster
        ? await this.#clusterTargets(view, topic, keys, afterEpoch)
        : await this.#standaloneTargets(view, topic, keys, afterEpoch);
      return { states: await this.#readStates(targets, range), epochs };
    });
  }

  /** Standalone layout: one epoch set and one key set per epoch for all partitions; every key × partition. */
  async #standaloneTargets(
    view: string,
    topic: string,
    keys: readonly string[] | undefined,
    afterEpoch: number | undefined,
  ): Promise<{ epochs: number[]; targets: HashTarget[] }> {
    const epochs = await this.#epochsOf(this.#layout.epochs(view), afterEpoch);
    if (epochs.length === 0) return { epochs, targets: [] };
    const partitions = await this.#partitions(topic);
    const targets: HashTarget[] = [];
    if (partitions.length === 0) return { epochs, targets };
    for (const epoch of epochs) {
      const epochKeys = keys ?? (await this.#redis.smembers(this.#layout.keyIndex(view, epoch)));
      for (const key of epochKeys) {
        for (const partition of partitions) {
          targets.push({ key, hash: this.#layout.increments(view, epoch, partition, key) });
        }
      }
    }
    return { epochs, targets };
  }

  /**
   * Cluster layout: per partition, its epoch set and, per epoch, its key set; only that partition's hashes (a
   * partition whose epoch set lacks an epoch wrote nothing in it: the commit script writes both in one slot).
   */
  async #clusterTargets(
    view: string,
    topic: string,
    keys: readonly string[] | undefined,
    afterEpoch: number | undefined,
  ): Promise<{ epochs: number[]; targets: HashTarget[] }> {
    const epochs = new Set<number>();
    const targets: HashTarget[] = [];
    for (const partition of await this.#partitions(topic)) {
      const partitionEpochs = await this.#epochsOf(this.#layout.epochs(view, partition), afterEpoch);
      const epochKeys = await Promise.all(
        partitionEpochs.map((epoch) =>
          keys === undefined
            ? this.#redis.smembers(this.#layout.keyIndex(view, epoch, partition))
            : Promise.resolve(keys),
        ),
      );
      partitionEpochs.forEach((epoch, index) => {
        epochs.add(epoch);
        for (const key of epochKeys[index] ?? []) {
          targets.push({ key, hash: this.#layout.increments(view, epoch, partition, key) });
        }
      });
    }
    return { epochs: [...epochs].sort((a, b) => a - b), targets };
  }

  /** The members of an epoch sorted set after `afterEpoch`, as numbers. */
  async #epochsOf(key: string, afterEpoch: number | undefined): Promise<number[]> {
    const min = afterEpoch === undefined ? '-inf' : `(${afterEpoch}`;
    const members = await this.#redis.zrangebyscore(key, min, '+inf');
    return members.map(Number).filter(Number.isSafeInteger);
  }

  /** The partitions of the Kafka topics of project topic `topic` (with stored offsets, or registered), ascending. */
  async #partitions(topic: string): Promise<number[]> {
    const partitions = new Set<number>();
    for (const kafkaTopic of this.#kafkaTopics[topic] ?? [topic]) {
      for (const partition of await topicPartitions(this.#redis, this.#layout, kafkaTopic)) {
        partitions.add(partition);
      }
    }
    return [...partitions].sort((a, b) => a - b);
  }

  /** Reads the hashes of `targets` (chunked) and keeps the buckets in `range`. */
  async #readStates(targets: readonly HashTarget[], range: BucketRange): Promise<StoredState[]> {
    const states: StoredState[] = [];
    for (let start = 0; start < targets.length; start += HGETALL_CHUNK) {
      const slice = targets.slice(start, start + HGETALL_CHUNK);
      const hashes = await hgetallBuffers(
        this.#redis,
        slice.map((target) => target.hash),
        HGETALL_CHUNK,
      );
      hashes.forEach((hash, index) => {
        const key = slice[index]?.key ?? '';
        for (const [field, bytes] of Object.entries(hash)) {
          const bucket = Number(field);
          if (!Number.isSafeInteger(bucket)) continue;
          if (range.fromMs !== undefined && bucket < range.fromMs) continue;
          if (range.toMs !== undefined && bucket >= range.toMs) continue;
          states.push({
            key,
            bucket,
            bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          });
        }
      });
    }
    return states;
  }

  /** The speed layer's reported position; nulls when it has not reported. */
  async speedStatus(): Promise<SpeedStatus> {
    return (await this.speedReport()).status;
  }

  /** The speed layer's status hash: its position and the fingerprints of the views it maintains. */
  async speedReport(): Promise<SpeedReport> {
    return parseSpeedReport(await unavailableOnFailure(() => this.#redis.hgetall(this.#layout.status())));
  }

  /** The latest JSON value of a speed-only view, `undefined` when the speed layer has not written one. */
  async live(view: string): Promise<unknown> {
    const text = await unavailableOnFailure(() => this.#redis.get(this.#layout.live(view)));
    if (text === null) return undefined;
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ServingError('OXBOW_UNAVAILABLE', `live view ${view}: stored value is not JSON`, {
        cause: error,
      });
    }
  }

  /** True when Redis answers PING. */
  async ping(): Promise<boolean> {
    try {
      return (await this.#redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }
}

/**
 * The speed layer's status hash (`HGETALL <prefix>speed:status`; empty when absent) as the serving layer reads it.
 *
 * @example
 * parseSpeedReport({ lagMs: '120', viewFingerprints: '{"page_views_hourly":"3d6f0e21c9a4b817"}' }).status.speedLagMs; // 120
 */
export function parseSpeedReport(status: Readonly<Record<string, string>>): SpeedReport {
  const through = status.realtimeThrough;
  const throughMs = through !== undefined && /^\d+$/.test(through) ? Number(through) : undefined;
  const lag = status.lagMs !== undefined ? Number(status.lagMs) : Number.NaN;
  return {
    reported: Object.keys(status).length > 0,
    status: {
      realtimeThrough:
        throughMs !== undefined ? new Date(throughMs).toISOString() : through !== undefined ? through : null,
      speedLagMs: Number.isFinite(lag) ? lag : null,
    },
    viewFingerprints: parseViewFingerprints(status.viewFingerprints),
    replaying: status.rebuilding === 'true',
  };
}

/** The `viewFingerprints` field of the speed status: a JSON object of view → fingerprint, else `undefined`. */
function parseViewFingerprints(text: string | undefined): Readonly<Record<string, string>> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fingerprints: Record<string, string> = {};
  for (const [view, fingerprint] of Object.entries(value)) {
    if (typeof fingerprint === 'string') fingerprints[view] = fingerprint;
  }
  return fingerprints;
}

/** Runs a Redis call; any failure other than a {@link ServingError} becomes a retriable 503. */
async function unavailableOnFailure<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ServingError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ServingError('OXBOW_UNAVAILABLE', `Redis is unavailable: ${message}`, { cause: error });
  }
}
