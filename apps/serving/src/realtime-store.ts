/**
 * Reads the speed layer's increments from Redis (docs/design/0002-layer-contracts.md; keys by the `RedisLayout`
 * of `@oxbow/contracts`): per-partition hashes `<prefix>rt:<view>:<epoch>:<partition>:<key>` (field = bucket
 * start, value = codec bytes) for the epochs listed in `<prefix>rtepochs:<view>`, the keys of an epoch in
 * `<prefix>rtkeys:<view>:<epoch>`, the speed layer's status and the speed-only live views.
 */
import { RedisLayout } from '@oxbow/contracts';
import type { Redis } from 'ioredis';
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
}

/** The realtime part of a read: the increments and the epochs after the watermark they came from. */
export interface RealtimeRead {
  readonly states: StoredState[];
  /** The epochs after the watermark holding increments of the view, ascending. */
  readonly epochs: number[];
}

/**
 * The realtime part of a view: the increments of epochs after the batch watermark.
 *
 * @example
 * const realtime = new RealtimeStore(redis, 'oxbow:', { orders: ['orders'] });
 * await realtime.states('orders_by_store_hourly', 'orders', ['amsterdam-01'], 489012, {});
 */
export class RealtimeStore {
  readonly #redis: Redis;
  readonly #layout: RedisLayout;
  readonly #kafkaTopics: Readonly<Record<string, readonly string[]>>;

  /**
   * @param kafkaTopics the Kafka topics the speed layer consumes for each project topic (its offsets hashes are
   *   named after the Kafka topics; see `bindTopics` of `@oxbow/views`); a project topic not listed is its own
   *   Kafka topic.
   */
  constructor(redis: Redis, prefix: string, kafkaTopics: Readonly<Record<string, readonly string[]>> = {}) {
    this.#redis = redis;
    this.#layout = new RedisLayout(prefix);
    this.#kafkaTopics = kafkaTopics;
  }

  /** The epochs after `afterEpoch` that hold increments of `view`, ascending. */
  epochsAfter(view: string, afterEpoch: number | undefined): Promise<number[]> {
    return unavailableOnFailure(async () => {
      const min = afterEpoch === undefined ? '-inf' : `(${afterEpoch}`;
      const members = await this.#redis.zrangebyscore(this.#layout.epochs(view), min, '+inf');
      return members.map(Number).filter(Number.isSafeInteger);
    });
  }

  /**
   * The increments of `view` for `keys` in `range`, over every epoch after `afterEpoch` and every partition.
   * Without `keys`, the keys of each epoch's `<prefix>rtkeys:<view>:<epoch>` set.
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
    return unavailableOnFailure(() => this.#read(view, topic, keys, afterEpoch, range));
  }

  async #read(
    view: string,
    topic: string,
    keys: readonly string[] | undefined,
    afterEpoch: number | undefined,
    range: BucketRange,
  ): Promise<RealtimeRead> {
    const epochs = await this.epochsAfter(view, afterEpoch);
    if (epochs.length === 0) return { states: [], epochs };
    const partitionSet = new Set<string>();
    for (const kafkaTopic of this.#kafkaTopics[topic] ?? [topic]) {
      for (const partition of await this.#redis.hkeys(this.#layout.offsets(kafkaTopic))) {
        partitionSet.add(partition);
      }
    }
    const partitions = [...partitionSet];
    if (partitions.length === 0) return { states: [], epochs };
    const hashKeys: Array<{ key: string; hash: string }> = [];
    for (const epoch of epochs) {
      const epochKeys = keys ?? (await this.#redis.smembers(this.#layout.keyIndex(view, epoch)));
      for (const key of epochKeys) {
        for (const partition of partitions) {
          hashKeys.push({ key, hash: this.#layout.increments(view, epoch, Number(partition), key) });
        }
      }
    }
    const states: StoredState[] = [];
    const chunk = 500;
    for (let start = 0; start < hashKeys.length; start += chunk) {
      const slice = hashKeys.slice(start, start + chunk);
      const pipeline = this.#redis.pipeline();
      for (const { hash } of slice) pipeline.hgetallBuffer(hash);
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, value], index) => {
        if (error) throw new ServingError('OXBOW_UNAVAILABLE', `Redis: ${error.message}`, { cause: error });
        const key = slice[index]?.key ?? '';
        for (const [field, bytes] of Object.entries(value as Record<string, Buffer>)) {
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
    return { states, epochs };
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
