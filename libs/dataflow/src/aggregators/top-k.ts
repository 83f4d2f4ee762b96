/**
 * Heavy hitters with the Space-Saving algorithm (Metwally, Agrawal & El Abbadi 2005) and its
 * mergeable form (Cafaro, Pulimeno & Tempesta 2016, as in Algebird's SpaceSaver).
 *
 * A summary monitors at most `capacity` items, each with a count and an error. A new item, when the
 * summary is full, replaces the item with the smallest count c and starts at c + 1 with error c.
 * Two summaries merge by adding, per item of their union, its count and error in each summary,
 * where a summary that is full and does not monitor the item contributes its smallest count to
 * both (the item may have been evicted there), then keeping the `capacity` largest counts.
 *
 * Guarantees, for a stream (or merged streams) of n items and m = capacity:
 * - every monitored item has `count − error ≤ true count ≤ count` and `error ≤ n/m`;
 * - an item with a true count above the smallest monitored count is monitored, so every item
 *   occurring more than n/m times is in the summary.
 */
import { DataflowError } from '../errors.ts';
import type { Aggregator, Codec, Semigroup } from './algebra.ts';
import { ByteReader, ByteWriter, FORMAT_TAGS } from './binary.ts';
import {
  canonicalValue,
  compareValues,
  type HashableInput,
  type HashableValue,
  isHashable,
} from './values.ts';

/**
 * A Space-Saving summary: parallel arrays ordered as a binary min-heap on `counts`, and the position
 * of each monitored item. Updated in place only by `append`/`addToSpaceSaving`.
 */
export interface SpaceSavingSummary<T extends HashableValue = HashableValue> {
  readonly capacity: number;
  /** The number of items folded in (n). */
  total: number;
  readonly items: T[];
  readonly counts: number[];
  readonly errors: number[];
  readonly positions: Map<T, number>;
}

/** A ranked heavy hitter: the item and its (over-)estimated count. */
export type RankedItem<T> = readonly [item: T, count: number];

/** Options of {@link topK}. */
export interface TopKOptions {
  /** Items monitored, at least k (default max(10·k, 100)); the count error is at most n/capacity. */
  readonly capacity?: number;
}

function checkCapacity(capacity: number): void {
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new DataflowError(
      'OXBOW_INVALID_ARGUMENT',
      `top-K capacity must be a positive integer, got ${capacity}`,
    );
  }
}

/**
 * A fresh, empty summary monitoring at most `capacity` items.
 *
 * @example
 * ```ts
 * const summary = emptySpaceSaving<string>(100);
 * ```
 */
export function emptySpaceSaving<T extends HashableValue>(capacity: number): SpaceSavingSummary<T> {
  checkCapacity(capacity);
  return { capacity, total: 0, items: [], counts: [], errors: [], positions: new Map() };
}

function swap<T extends HashableValue>(summary: SpaceSavingSummary<T>, a: number, b: number): void {
  const { items, counts, errors, positions } = summary;
  const itemA = items[a] as T;
  const itemB = items[b] as T;
  items[a] = itemB;
  items[b] = itemA;
  const countA = counts[a] ?? 0;
  counts[a] = counts[b] ?? 0;
  counts[b] = countA;
  const errorA = errors[a] ?? 0;
  errors[a] = errors[b] ?? 0;
  errors[b] = errorA;
  positions.set(itemB, a);
  positions.set(itemA, b);
}

function siftDown<T extends HashableValue>(summary: SpaceSavingSummary<T>, start: number): void {
  const { counts } = summary;
  let index = start;
  for (;;) {
    const left = 2 * index + 1;
    if (left >= counts.length) return;
    const right = left + 1;
    let smallest = index;
    if ((counts[left] ?? 0) < (counts[smallest] ?? 0)) smallest = left;
    if (right < counts.length && (counts[right] ?? 0) < (counts[smallest] ?? 0)) smallest = right;
    if (smallest === index) return;
    swap(summary, index, smallest);
    index = smallest;
  }
}

function siftUp<T extends HashableValue>(summary: SpaceSavingSummary<T>, start: number): void {
  const { counts } = summary;
  let index = start;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if ((counts[parent] ?? 0) <= (counts[index] ?? 0)) return;
    swap(summary, index, parent);
    index = parent;
  }
}

/**
 * Folds one occurrence of `item` into `summary` in place (the caller must own it) and returns it.
 *
 * @example
 * ```ts
 * addToSpaceSaving(emptySpaceSaving<string>(100), '/index.html');
 * ```
 */
export function addToSpaceSaving<T extends HashableValue>(
  summary: SpaceSavingSummary<T>,
  item: T,
): SpaceSavingSummary<T> {
  const key = canonicalValue(item) as T;
  summary.total += 1;
  const position = summary.positions.get(key);
  if (position !== undefined) {
    summary.counts[position] = (summary.counts[position] ?? 0) + 1;
    siftDown(summary, position);
  } else if (summary.items.length < summary.capacity) {
    summary.items.push(key);
    summary.counts.push(1);
    summary.errors.push(0);
    summary.positions.set(key, summary.items.length - 1);
    siftUp(summary, summary.items.length - 1);
  } else {
    const evicted = summary.items[0] as T;
    const smallest = summary.counts[0] ?? 0;
    summary.positions.delete(evicted);
    summary.items[0] = key;
    summary.counts[0] = smallest + 1;
    summary.errors[0] = smallest;
    summary.positions.set(key, 0);
    siftDown(summary, 0);
  }
  return summary;
}

/** The count an unmonitored item may have had in `summary`: its smallest count when full, else 0. */
function unmonitoredBound(summary: SpaceSavingSummary<HashableValue>): number {
  return summary.items.length < summary.capacity ? 0 : (summary.counts[0] ?? 0);
}

/** One monitored item of a Space-Saving summary: its count and how much it may overestimate. */
export interface SpaceSavingCounter<T> {
  item: T;
  count: number;
  error: number;
}

/** Counters ranked by count (descending), then by item (ascending), so ties break deterministically. */
function rankCounters<T extends HashableValue>(counters: SpaceSavingCounter<T>[]): SpaceSavingCounter<T>[] {
  return counters.sort((a, b) => b.count - a.count || compareValues(a.item, b.item));
}

function countersOf<T extends HashableValue>(summary: SpaceSavingSummary<T>): SpaceSavingCounter<T>[] {
  return summary.items.map((item, index) => ({
    item,
    count: summary.counts[index] ?? 0,
    error: summary.errors[index] ?? 0,
  }));
}

/** Builds a summary from counters (at most `capacity`): ascending counts already form a min-heap. */
function fromCounters<T extends HashableValue>(
  capacity: number,
  total: number,
  ranked: SpaceSavingCounter<T>[],
): SpaceSavingSummary<T> {
  const summary = emptySpaceSaving<T>(capacity);
  summary.total = total;
  for (let index = ranked.length - 1; index >= 0; index--) {
    const counter = ranked[index] as SpaceSavingCounter<T>;
    summary.positions.set(counter.item, summary.items.length);
    summary.items.push(counter.item);
    summary.counts.push(counter.count);
    summary.errors.push(counter.error);
  }
  return summary;
}

/**
 * Merges two summaries of the same capacity into a new one (neither argument changes); different
 * capacities throw `OXBOW_INVALID_ARGUMENT`. Commutative; associative up to the Space-Saving bound
 * (regroupings may evict different low-count items, never a true heavy hitter).
 *
 * @example
 * ```ts
 * const all = mergeSpaceSaving(partitionA, partitionB);
 * ```
 */
export function mergeSpaceSaving<T extends HashableValue>(
  left: SpaceSavingSummary<T>,
  right: SpaceSavingSummary<T>,
): SpaceSavingSummary<T> {
  if (left.capacity !== right.capacity) {
    throw new DataflowError(
      'OXBOW_INVALID_ARGUMENT',
      `cannot merge top-K summaries of capacity ${left.capacity} and ${right.capacity}`,
    );
  }
  const leftBound = unmonitoredBound(left);
  const rightBound = unmonitoredBound(right);
  const merged = new Map<T, SpaceSavingCounter<T>>();
  for (const counter of countersOf(left)) {
    merged.set(counter.item, {
      item: counter.item,
      count: counter.count + rightBound,
      error: counter.error + rightBound,
    });
  }
  for (const counter of countersOf(right)) {
    const existing = merged.get(counter.item);
    if (existing === undefined) {
      merged.set(counter.item, {
        item: counter.item,
        count: counter.count + leftBound,
        error: counter.error + leftBound,
      });
    } else {
      // Present on both sides: replace the right side's stand-in bound by its actual counter.
      existing.count += counter.count - rightBound;
      existing.error += counter.error - rightBound;
    }
  }
  const ranked = rankCounters([...merged.values()]).slice(0, left.capacity);
  return fromCounters(left.capacity, left.total + right.total, ranked);
}

/**
 * The merge semigroup of summaries (with `mergeSpaceSaving`); a monoid with zero
 * `emptySpaceSaving(capacity)`.
 *
 * @example
 * ```ts
 * rdd.reduceByKey(spaceSavingSemigroup.plus);
 * ```
 */
export const spaceSavingSemigroup: Semigroup<SpaceSavingSummary> = { plus: mergeSpaceSaving };

/**
 * The monitored items ranked by estimated count (descending; ties by item), with count and error.
 *
 * @example
 * ```ts
 * rankedCounters(summary)[0]; // { item: '/index.html', count: 1042, error: 3 }
 * ```
 */
export function rankedCounters<T extends HashableValue>(
  summary: SpaceSavingSummary<T>,
): SpaceSavingCounter<T>[] {
  return rankCounters(countersOf(summary));
}

/**
 * Bytes: `[0x09, 1]`, capacity, total, the number of counters, then (item, count, error) per counter
 * in rank order.
 */
export const spaceSavingCodec: Codec<SpaceSavingSummary> = {
  serialize(value) {
    const ranked = rankedCounters(value);
    const writer = new ByteWriter()
      .byte(FORMAT_TAGS.topK)
      .byte(1)
      .varuint(value.capacity)
      .varuint(value.total)
      .varuint(ranked.length);
    for (const counter of ranked) writer.value(counter.item).varuint(counter.count).varuint(counter.error);
    return writer.finish();
  },
  deserialize(bytes) {
    const reader = new ByteReader(bytes, 'top-K summary');
    reader.header(FORMAT_TAGS.topK, 1);
    const capacity = reader.varuint();
    const total = reader.varuint();
    const size = reader.varuint();
    if (capacity < 1 || size > capacity) reader.fail(`${size} counters exceed capacity ${capacity}`);
    const counters: SpaceSavingCounter<HashableValue>[] = [];
    const seen = new Set<HashableValue>();
    for (let index = 0; index < size; index++) {
      const item = reader.value();
      const count = reader.varuint();
      const error = reader.varuint();
      if (seen.has(item)) reader.fail(`duplicate item ${String(item)}`);
      if (error > count || count === 0) reader.fail(`invalid counter for ${String(item)}`);
      seen.add(item);
      counters.push({ item, count, error });
    }
    reader.end();
    return fromCounters(capacity, total, rankCounters(counters));
  },
};

/**
 * The k most frequent `extract(input)` values, as `[item, count]` pairs ranked by count (ties by
 * item), from a Space-Saving summary of `capacity` counters. `null`, `undefined` and `NaN` are skipped.
 *
 * Error bound: each count overestimates the true count by at most n/capacity (n = non-skipped
 * inputs), and every item occurring more than n/capacity times is monitored. Default capacity
 * max(10·k, 100).
 *
 * @example
 * ```ts
 * aggregate(topK((e: { path: string }) => e.path, 3), events); // [['/', 812], ['/login', 97], …]
 * ```
 */
export function topK<In, T extends HashableValue>(
  extract: (input: In) => T | null | undefined,
  k: number,
  options: TopKOptions = {},
): Aggregator<In, SpaceSavingSummary<T>, RankedItem<T>[]> {
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new DataflowError('OXBOW_INVALID_ARGUMENT', `top-K k must be a positive integer, got ${k}`);
  }
  const capacity = options.capacity ?? Math.max(10 * k, 100);
  checkCapacity(capacity);
  if (capacity < k) {
    throw new DataflowError('OXBOW_INVALID_ARGUMENT', `top-K capacity ${capacity} is smaller than k = ${k}`);
  }
  return {
    kind: 'topK',
    inputs: [extract],
    parameters: { k, capacity },
    commutative: true,
    approximate: true,
    errorBound: { kind: 'count-overestimate', fractionOfTotal: 1 / capacity },
    // The codec reads back the items a T-typed summary wrote.
    codec: spaceSavingCodec as unknown as Codec<SpaceSavingSummary<T>>,
    get zero() {
      return emptySpaceSaving<T>(capacity);
    },
    plus: mergeSpaceSaving,
    prepare(input) {
      const value: HashableInput = extract(input);
      const summary = emptySpaceSaving<T>(capacity);
      return isHashable(value) ? addToSpaceSaving(summary, value as T) : summary;
    },
    append(state, input) {
      const value: HashableInput = extract(input);
      return isHashable(value) ? addToSpaceSaving(state, value as T) : state;
    },
    present: (state) =>
      rankedCounters(state)
        .slice(0, k)
        .map((counter): RankedItem<T> => [counter.item, counter.count]),
  };
}
