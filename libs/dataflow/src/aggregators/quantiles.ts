/**
 * A DDSketch-style quantile sketch (Masson, Rim & Lee, VLDB 2019) with a relative-error guarantee.
 *
 * A positive value x goes to bucket i = ⌈log_γ x⌉ with γ = (1 + α)/(1 − α), so bucket i holds
 * (γ^(i−1), γ^i]; its representative 2γ^i/(γ + 1) is within a factor 1 ± α of every value in it.
 * Negative values use a mirrored store keyed by −⌈log_γ |x|⌉, and exact zeros have their own count.
 * Counts are exact integers, so a quantile lands in the right bucket and the estimate is within
 * α·|x| of the true quantile x.
 *
 * Memory is bounded: each store spans at most `maxBuckets` consecutive keys. When a new largest key
 * arrives, keys below `largest − maxBuckets + 1` are collapsed into that lowest kept bucket (the
 * lowest values lose accuracy; upper quantiles such as p99 keep it). With the defaults (α = 1 %,
 * 2048 buckets) a store spans a ratio of about 10^17 between its smallest and largest value before
 * anything collapses. The kept keys depend only on the largest key seen, so merging gives
 * bit-identical states whatever the split of the data.
 *
 * True quantile, as used by the guarantee and the tests: for n values sorted ascending as
 * x₀ ≤ … ≤ x_{n−1}, the q-quantile is the lower quantile x_⌊q·(n−1)⌋ (DDSketch's definition).
 */
import { DataflowError } from '../errors.ts';
import type { Aggregator, Codec, Monoid } from './algebra.ts';
import { ByteReader, ByteWriter, FORMAT_TAGS } from './binary.ts';
import { isCountableNumber, type NumericInput } from './values.ts';

/** One side of the sketch: bucket key → count, with its smallest and largest key. */
export interface BucketStore {
  readonly buckets: Map<number, number>;
  minKey: number;
  maxKey: number;
}

/** A quantile sketch state. Its fields are updated in place only by `append`/`addToQuantileSketch`. */
export interface QuantileSketch {
  readonly relativeAccuracy: number;
  readonly maxBuckets: number;
  count: number;
  zeroCount: number;
  min: number;
  max: number;
  /** Positive values, keyed by ⌈log_γ x⌉. */
  readonly positive: BucketStore;
  /** Negative values, keyed by −⌈log_γ |x|⌉ (so keys ascend with the values). */
  readonly negative: BucketStore;
}

/** Options of {@link quantiles} and {@link emptyQuantileSketch}. */
export interface QuantileSketchOptions {
  /** α in (0, 1): every estimated quantile is within α·|true quantile| (default 0.01). */
  readonly relativeAccuracy?: number;
  /** The most consecutive buckets per sign, at least 16 (default 2048). */
  readonly maxBuckets?: number;
}

/** What {@link quantiles} presents: the median and tail quantiles, `undefined` when empty. */
export interface QuantileSummary {
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly p99: number | undefined;
}

const DEFAULT_RELATIVE_ACCURACY = 0.01;
const DEFAULT_MAX_BUCKETS = 2048;

function resolveOptions(options: QuantileSketchOptions): { relativeAccuracy: number; maxBuckets: number } {
  const relativeAccuracy = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  const maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    throw new DataflowError(
      'OXBOW_INVALID_ARGUMENT',
      `quantile sketch relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`,
    );
  }
  if (!Number.isSafeInteger(maxBuckets) || maxBuckets < 16) {
    throw new DataflowError(
      'OXBOW_INVALID_ARGUMENT',
      `quantile sketch maxBuckets must be an integer of at least 16, got ${maxBuckets}`,
    );
  }
  return { relativeAccuracy, maxBuckets };
}

function emptyStore(): BucketStore {
  return { buckets: new Map(), minKey: Number.POSITIVE_INFINITY, maxKey: Number.NEGATIVE_INFINITY };
}

/**
 * A fresh, empty sketch.
 *
 * @example
 * ```ts
 * const sketch = emptyQuantileSketch({ relativeAccuracy: 0.02 });
 * ```
 */
export function emptyQuantileSketch(options: QuantileSketchOptions = {}): QuantileSketch {
  const { relativeAccuracy, maxBuckets } = resolveOptions(options);
  return {
    relativeAccuracy,
    maxBuckets,
    count: 0,
    zeroCount: 0,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    positive: emptyStore(),
    negative: emptyStore(),
  };
}

function logGamma(relativeAccuracy: number): number {
  return Math.log((1 + relativeAccuracy) / (1 - relativeAccuracy));
}

function addToStore(store: BucketStore, key: number, weight: number, maxBuckets: number): void {
  if (key > store.maxKey) {
    store.maxKey = key;
    const lowestKept = key - maxBuckets + 1;
    if (store.minKey < lowestKept) {
      let collapsed = 0;
      for (const [bucket, bucketCount] of store.buckets) {
        if (bucket < lowestKept) {
          collapsed += bucketCount;
          store.buckets.delete(bucket);
        }
      }
      store.buckets.set(lowestKept, (store.buckets.get(lowestKept) ?? 0) + collapsed);
      store.minKey = lowestKept;
    }
  }
  const target = Math.max(key, store.maxKey - maxBuckets + 1);
  store.buckets.set(target, (store.buckets.get(target) ?? 0) + weight);
  if (target < store.minKey) store.minKey = target;
}

/**
 * Adds a finite `value` to `sketch` in place (the caller must own `sketch`) and returns it.
 *
 * @example
 * ```ts
 * addToQuantileSketch(emptyQuantileSketch(), 12.5);
 * ```
 */
export function addToQuantileSketch(sketch: QuantileSketch, value: number): QuantileSketch {
  if (!Number.isFinite(value)) {
    throw new DataflowError('OXBOW_INVALID_ARGUMENT', `quantile sketch values must be finite, got ${value}`);
  }
  sketch.count += 1;
  if (value < sketch.min) sketch.min = value;
  if (value > sketch.max) sketch.max = value;
  if (value === 0) {
    sketch.zeroCount += 1;
  } else {
    // `0 + …` and `0 − …` turn a −0 key into 0, so equal sketches have equal fields.
    const key = 0 + Math.ceil(Math.log(Math.abs(value)) / logGamma(sketch.relativeAccuracy));
    if (value > 0) addToStore(sketch.positive, key, 1, sketch.maxBuckets);
    else addToStore(sketch.negative, 0 - key, 1, sketch.maxBuckets);
  }
  return sketch;
}

function checkCompatible(left: QuantileSketch, right: QuantileSketch): void {
  if (left.relativeAccuracy !== right.relativeAccuracy || left.maxBuckets !== right.maxBuckets) {
    throw new DataflowError(
      'OXBOW_INVALID_ARGUMENT',
      `cannot merge quantile sketches with different parameters (relativeAccuracy ${left.relativeAccuracy} ` +
        `vs ${right.relativeAccuracy}, maxBuckets ${left.maxBuckets} vs ${right.maxBuckets})`,
    );
  }
}

function mergeStores(left: BucketStore, right: BucketStore, maxBuckets: number): BucketStore {
  const merged = emptyStore();
  // Adding the larger side's top key first avoids repeated collapsing; the result is the same anyway.
  const [first, second] = left.maxKey >= right.maxKey ? [left, right] : [right, left];
  for (const [key, weight] of first.buckets) addToStore(merged, key, weight, maxBuckets);
  for (const [key, weight] of second.buckets) addToStore(merged, key, weight, maxBuckets);
  return merged;
}

/**
 * Merges two sketches into a new one (neither argument changes). Sketches must share
 * `relativeAccuracy` and `maxBuckets`, else `OXBOW_INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * const all = mergeQuantileSketches(morning, evening);
 * ```
 */
export function mergeQuantileSketches(left: QuantileSketch, right: QuantileSketch): QuantileSketch {
  checkCompatible(left, right);
  return {
    relativeAccuracy: left.relativeAccuracy,
    maxBuckets: left.maxBuckets,
    count: left.count + right.count,
    zeroCount: left.zeroCount + right.zeroCount,
    min: Math.min(left.min, right.min),
    max: Math.max(left.max, right.max),
    positive: mergeStores(left.positive, right.positive, left.maxBuckets),
    negative: mergeStores(left.negative, right.negative, left.maxBuckets),
  };
}

/**
 * The merge monoid of sketches with the given options; `zero` is a fresh empty sketch.
 *
 * @example
 * ```ts
 * const sketches = quantileSketchMonoid({ relativeAccuracy: 0.01 });
 * rdd.reduceByKey(sketches.plus);
 * ```
 */
export function quantileSketchMonoid(options: QuantileSketchOptions = {}): Monoid<QuantileSketch> {
  const resolved = resolveOptions(options);
  return {
    get zero() {
      return emptyQuantileSketch(resolved);
    },
    plus: mergeQuantileSketches,
  };
}

function sortedKeys(store: BucketStore): number[] {
  return [...store.buckets.keys()].sort((a, b) => a - b);
}

/**
 * The estimated q-quantile (0 ≤ q ≤ 1) of the values in `sketch`, or `undefined` when it is empty.
 * For values sorted as x₀ ≤ … ≤ x_{n−1} the estimate v of x = x_⌊q·(n−1)⌋ satisfies
 * |v − x| ≤ relativeAccuracy·|x| (unless x fell into a collapsed bucket). `quantile(s, 0)` and
 * `quantile(s, 1)` are the exact minimum and maximum.
 *
 * @example
 * ```ts
 * quantile(sketch, 0.99); // p99 within 1 %
 * ```
 */
export function quantile(sketch: QuantileSketch, q: number): number | undefined {
  if (!(q >= 0 && q <= 1)) {
    throw new DataflowError('OXBOW_INVALID_ARGUMENT', `quantile must be in [0, 1], got ${q}`);
  }
  if (sketch.count === 0) return undefined;
  if (q === 0) return sketch.min;
  if (q === 1) return sketch.max;
  const rank = q * (sketch.count - 1);
  const gamma = (1 + sketch.relativeAccuracy) / (1 - sketch.relativeAccuracy);
  const representative = (key: number) => (2 * gamma ** key) / (gamma + 1);
  const clamp = (value: number) => Math.min(sketch.max, Math.max(sketch.min, value));
  let seen = 0;
  for (const key of sortedKeys(sketch.negative)) {
    seen += sketch.negative.buckets.get(key) ?? 0;
    if (seen > rank) return clamp(-representative(-key));
  }
  seen += sketch.zeroCount;
  if (seen > rank) return 0;
  for (const key of sortedKeys(sketch.positive)) {
    seen += sketch.positive.buckets.get(key) ?? 0;
    if (seen > rank) return clamp(representative(key));
  }
  return sketch.max;
}

function writeStore(writer: ByteWriter, store: BucketStore): void {
  const keys = sortedKeys(store);
  writer.varuint(keys.length);
  let previous = 0;
  keys.forEach((key, index) => {
    if (index === 0) writer.number(key);
    else writer.varuint(key - previous);
    writer.number(store.buckets.get(key) ?? 0);
    previous = key;
  });
}

function readStore(reader: ByteReader): BucketStore {
  const store = emptyStore();
  const size = reader.varuint();
  let key = 0;
  for (let index = 0; index < size; index++) {
    if (index === 0) {
      key = reader.number();
      if (!Number.isSafeInteger(key)) reader.fail(`bucket key ${key} is not an integer`);
    } else {
      const delta = reader.varuint();
      if (delta === 0) reader.fail('bucket keys are not ascending');
      key += delta;
    }
    const weight = reader.number();
    if (!Number.isSafeInteger(weight) || weight <= 0) reader.fail(`bucket count ${weight} is not positive`);
    store.buckets.set(key, weight);
    if (key < store.minKey) store.minKey = key;
    if (key > store.maxKey) store.maxKey = key;
  }
  return store;
}

/**
 * Bytes: `[0x08, 1]`, α (float64), maxBuckets, zero count, min, max (float64), then each store as
 * its bucket count, first key, and (key delta, count) pairs in ascending key order. The total count
 * is derived.
 */
export const quantileSketchCodec: Codec<QuantileSketch> = {
  serialize(value) {
    const writer = new ByteWriter()
      .byte(FORMAT_TAGS.quantiles)
      .byte(1)
      .float64(value.relativeAccuracy)
      .varuint(value.maxBuckets)
      .number(value.zeroCount)
      .float64(value.min)
      .float64(value.max);
    writeStore(writer, value.positive);
    writeStore(writer, value.negative);
    return writer.finish();
  },
  deserialize(bytes) {
    const reader = new ByteReader(bytes, 'quantile sketch');
    reader.header(FORMAT_TAGS.quantiles, 1);
    const relativeAccuracy = reader.float64();
    const maxBuckets = reader.varuint();
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1) || maxBuckets < 16) {
      reader.fail(`invalid parameters relativeAccuracy ${relativeAccuracy}, maxBuckets ${maxBuckets}`);
    }
    const zeroCount = reader.number();
    const min = reader.float64();
    const max = reader.float64();
    const positive = readStore(reader);
    const negative = readStore(reader);
    reader.end();
    let count = zeroCount;
    for (const store of [positive, negative]) {
      for (const weight of store.buckets.values()) count += weight;
      if (store.buckets.size > 0 && store.maxKey - store.minKey >= maxBuckets) {
        reader.fail('a bucket store spans more than maxBuckets keys');
      }
    }
    if (!Number.isSafeInteger(zeroCount) || zeroCount < 0) reader.fail(`zero count ${zeroCount} is invalid`);
    if (count > 0 ? !(min <= max) : min !== Number.POSITIVE_INFINITY || max !== Number.NEGATIVE_INFINITY) {
      reader.fail(`min ${min} and max ${max} do not fit ${count} values`);
    }
    return { relativeAccuracy, maxBuckets, count, zeroCount, min, max, positive, negative };
  },
};

/**
 * Estimates quantiles of `extract(input)` with a DDSketch-style sketch; presents `{ p50, p95, p99 }`
 * (each `undefined` when no value was seen). `null`, `undefined`, `NaN` and `±Infinity` are skipped;
 * zeros and negative values are supported.
 *
 * Error bound: each estimate v of the true lower quantile x = x_⌊q·(n−1)⌋ satisfies
 * |v − x| ≤ relativeAccuracy·|x| (default 1 %), as long as x is not among the lowest values collapsed
 * by the `maxBuckets` bound. Merges are exact: any split gives bit-identical states.
 *
 * @example
 * ```ts
 * const latency = quantiles((e: { latencyMs: number }) => e.latencyMs, { relativeAccuracy: 0.01 });
 * aggregate(latency, events); // { p50: 12.1, p95: 80.4, p99: 230.0 }
 * ```
 */
export function quantiles<In>(
  extract: (input: In) => NumericInput,
  options: QuantileSketchOptions = {},
): Aggregator<In, QuantileSketch, QuantileSummary> {
  const resolved = resolveOptions(options);
  return {
    kind: 'quantiles',
    inputs: [extract],
    parameters: { relativeAccuracy: resolved.relativeAccuracy, maxBuckets: resolved.maxBuckets },
    commutative: true,
    approximate: true,
    errorBound: { kind: 'relative-value', relative: resolved.relativeAccuracy },
    codec: quantileSketchCodec,
    get zero() {
      return emptyQuantileSketch(resolved);
    },
    plus: mergeQuantileSketches,
    prepare(input) {
      const value = extract(input);
      const sketch = emptyQuantileSketch(resolved);
      return isCountableNumber(value) ? addToQuantileSketch(sketch, value) : sketch;
    },
    append(state, input) {
      const value = extract(input);
      return isCountableNumber(value) ? addToQuantileSketch(state, value) : state;
    },
    present: (state) => ({
      p50: quantile(state, 0.5),
      p95: quantile(state, 0.95),
      p99: quantile(state, 0.99),
    }),
  };
}
