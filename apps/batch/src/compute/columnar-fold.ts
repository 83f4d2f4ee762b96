/**
 * The columnar fold of compiled views (`view-plan.ts`): the rows of one scan of a topic arrive as DuckDB column
 * vectors (event time, SQL numbers and flags, 64-bit tuple hashes); each view maps them to its (key, bucket) cells
 * and every field folds them into arrays indexed by cell, in tight loops over typed arrays, without an event object
 * per row. At the end each cell's product state is built from those arrays, serialized with the view's own codec
 * and presented from the state in memory (no decode). The states equal what `aggregateView`'s `append` and `plus`
 * give for the same events (exactly for counts, integer sums, extremes, HyperLogLog registers, quantile sketch
 * buckets, distinct sets and top-K summaries that kept every item; see docs/design/0008-batch-at-duckdb-speed.md
 * for floating-point sums and full top-K summaries).
 */
import {
  type Aggregator,
  type HyperLogLogState,
  hash64,
  type QuantileSketch,
  type SpaceSavingSummary,
} from '@oxbow/dataflow';
import type { AnyEvent, ViewDefinition } from '@oxbow/views';
import { encodeHyperLogLog, encodeProduct, encodingsAgree } from './state-encoding.ts';
import type {
  FieldPlan,
  FlagSource,
  HashableSource,
  NumberSource,
  TupleSource,
  ViewPlan,
} from './view-plan.ts';

/** One computed cell of a view: its key, bucket start, state bytes and presented value. */
export interface ComputedCell {
  readonly key: string;
  readonly bucket: number;
  readonly state: Uint8Array;
  readonly value: unknown;
  /**
   * Per `sum` or `mean` field, the cell's per-file partial sums in file order (only when the scan keeps them, for
   * an incremental merge that adds them to the previous total one by one, as a full recompute would).
   */
  readonly partials?: Readonly<Record<string, readonly number[]>>;
  /**
   * Per top-K field, the cell's exact count of every item (only when the scan keeps them: a part of a split run,
   * whose merge rebuilds from them the exact summary a single run computes; see {@link exactTopKSummary}).
   */
  readonly itemCounts?: Readonly<Record<string, ReadonlyArray<readonly [item: unknown, count: number]>>>;
}

/** The columns of one chunk of the scan, in the layout of {@link TopicFold.selectList}. */
export interface ScanChunk {
  readonly size: number;
  /** Event time, epoch ms. */
  readonly time: Float64Array;
  /** The number of the file each row comes from (ascending: the scan keeps the files' order). */
  readonly file: Uint32Array;
  readonly numbers: readonly Float64Array[];
  readonly flags: readonly Uint8Array[];
  /** Per tuple input, the tuple number of each row (from its hash). */
  readonly tuples: readonly Int32Array[];
}

/** A 64-bit hash → tuple number table (open addressing on the two 32-bit halves). */
export class TupleIds {
  #keys: Uint32Array;
  #ids: Int32Array;
  #mask: number;
  #size = 0;

  constructor(expected: number) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.#keys = new Uint32Array(capacity * 2);
    this.#ids = new Int32Array(capacity).fill(-1);
    this.#mask = capacity - 1;
  }

  /** The number of tuples. */
  get size(): number {
    return this.#size;
  }

  /** Adds a hash; false when it is already there (two tuples with one hash: a collision). */
  add(low: number, high: number, id: number): boolean {
    let slot = low & this.#mask;
    for (;;) {
      const at = this.#ids[slot] as number;
      if (at < 0) break;
      if (this.#keys[slot * 2] === low && this.#keys[slot * 2 + 1] === high) return false;
      slot = (slot + 1) & this.#mask;
    }
    this.#keys[slot * 2] = low;
    this.#keys[slot * 2 + 1] = high;
    this.#ids[slot] = id;
    this.#size++;
    return true;
  }

  /** Looks up the tuple number of each hash of `hashes` (little-endian 64-bit words) into `out`. */
  lookup(hashes: Uint32Array, count: number, out: Int32Array): void {
    const keys = this.#keys;
    const ids = this.#ids;
    const mask = this.#mask;
    for (let row = 0; row < count; row++) {
      const low = hashes[row * 2] as number;
      const high = hashes[row * 2 + 1] as number;
      let slot = low & mask;
      for (;;) {
        const id = ids[slot] as number;
        if (id < 0) throw new Error('a row of the scan has a tuple the distinct pass did not see');
        if (keys[slot * 2] === low && keys[slot * 2 + 1] === high) {
          out[row] = id;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
  }
}

/** The distinct tuples of one tuple input: their values, and the hash table of the scan. */
export interface TupleTable {
  readonly values: ReadonlyArray<readonly unknown[]>;
  readonly ids: TupleIds;
}

/** Where each input of a view sits in the scan's columns. */
interface Slots {
  number(source: NumberSource): number;
  flag(source: Extract<FlagSource, { kind: 'flag' }>): number;
  tuple(source: TupleSource): number;
}

function grow<T extends Float64Array | Int32Array>(array: T, capacity: number, fill?: number): T {
  if (array.length >= capacity) return array;
  let size = Math.max(16, array.length * 2);
  while (size < capacity) size *= 2;
  const next = new (array.constructor as new (size: number) => T)(size);
  if (fill !== undefined) next.fill(fill);
  next.set(array);
  return next;
}

/** A per-row value of a field: a SQL number column, or a tuple input mapped through a per-tuple table. */
type RowNumbers = (chunk: ScanChunk) => Float64Array;

/** A field's arrays, indexed by cell. */
interface FieldFold {
  readonly name: string;
  ensure(cells: number): void;
  /** Folds rows `start` to `end` (exclusive) of `chunk`, all of one file. */
  update(cells: Int32Array, chunk: ScanChunk, start: number, end: number): void;
  /** A file ended (a fold that merges per-file partial states, as the RDD path does, merges them now). */
  endFile(): void;
  state(cell: number): unknown;
}

class CountFold implements FieldFold {
  readonly name: string;
  #counts = new Float64Array(0);
  readonly #predicate: ((chunk: ScanChunk) => Uint8Array) | undefined;

  constructor(name: string, predicate: ((chunk: ScanChunk) => Uint8Array) | undefined) {
    this.name = name;
    this.#predicate = predicate;
  }

  ensure(cells: number): void {
    this.#counts = grow(this.#counts, cells);
  }

  update(cells: Int32Array, chunk: ScanChunk, start: number, end: number): void {
    const counts = this.#counts;
    if (this.#predicate === undefined) {
      for (let row = start; row < end; row++) {
        const cell = cells[row] as number;
        if (cell >= 0) counts[cell] = (counts[cell] as number) + 1;
      }
      return;
    }
    const flags = this.#predicate(chunk);
    for (let row = start; row < end; row++) {
      const cell = cells[row] as number;
      if (cell >= 0 && flags[row] !== 0) counts[cell] = (counts[cell] as number) + 1;
    }
  }

  endFile(): void {}

  state(cell: number): number {
    return this.#counts[cell] as number;
  }
}

/**
 * Sums and means. The RDD path folds each file into a partial state (from 0) and merges the partials in file order;
 * floating-point addition is not associative, so this fold does the same: per-file partial sums, added to the
 * totals when the file ends. Integer sums are exact either way.
 */
class SumFold implements FieldFold {
  readonly name: string;
  #sums = new Float64Array(0);
  #counts = new Float64Array(0);
  #partials = new Float64Array(0);
  #seen = new Int32Array(0);
  #touched: number[] = [];
  #file = 0;
  readonly #values: RowNumbers;
  readonly #mean: boolean;
  /** Per cell, its per-file partial sums, when kept. */
  readonly #kept: Array<number[] | undefined> | undefined;

  constructor(name: string, values: RowNumbers, mean: boolean, keepPartials: boolean) {
    this.name = name;
    this.#values = values;
    this.#mean = mean;
    this.#kept = keepPartials ? [] : undefined;
  }

  /** The per-file partial sums of `cell`, when kept. */
  partials(cell: number): readonly number[] | undefined {
    return this.#kept === undefined ? undefined : (this.#kept[cell] ?? []);
  }

  ensure(cells: number): void {
    this.#sums = grow(this.#sums, cells);
    this.#partials = grow(this.#partials, cells);
    this.#seen = grow(this.#seen, cells, -1);
    if (this.#mean) this.#counts = grow(this.#counts, cells);
  }

  update(cells: Int32Array, chunk: ScanChunk, start: number, end: number): void {
    const values = this.#values(chunk);
    const partials = this.#partials;
    const seen = this.#seen;
    const file = this.#file;
    const counts = this.#counts;
    const mean = this.#mean;
    for (let row = start; row < end; row++) {
      const cell = cells[row] as number;
      const value = values[row] as number;
      // value − value is 0 exactly for finite numbers (NaN and ±Infinity give NaN).
      if (cell < 0 || value - value !== 0) continue;
      if (seen[cell] !== file) {
        seen[cell] = file;
        this.#touched.push(cell);
      }
      partials[cell] = (partials[cell] as number) + value;
      if (mean) counts[cell] = (counts[cell] as number) + 1;
    }
  }

  endFile(): void {
    const sums = this.#sums;
    const partials = this.#partials;
    const kept = this.#kept;
    for (const cell of this.#touched) {
      sums[cell] = (sums[cell] as number) + (partials[cell] as number);
      if (kept !== undefined) {
        const list = kept[cell] ?? [];
        list.push(partials[cell] as number);
        kept[cell] = list;
      }
      partials[cell] = 0;
    }
    this.#touched = [];
    this.#file++;
  }

  state(cell: number): unknown {
    const sum = this.#sums[cell] as number;
    return this.#mean ? { sum, count: this.#counts[cell] as number } : sum;
  }
}

class ExtremeFold implements FieldFold {
  readonly name: string;
  #extremes = new Float64Array(0);
  readonly #values: RowNumbers;
  readonly #max: boolean;

  constructor(name: string, values: RowNumbers, isMax: boolean) {
    this.name = name;
    this.#values = values;
    this.#max = isMax;
  }

  ensure(cells: number): void {
    this.#extremes = grow(
      this.#extremes,
      cells,
      this.#max ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY,
    );
  }

  update(cells: Int32Array, chunk: ScanChunk, start: number, end: number): void {
    const values = this.#values(chunk);
    const extremes = this.#extremes;
    // Math.min/Math.max as the monoids use them (they order −0 below 0).
    if (this.#max) {
      for (let row = start; row < end; row++) {
        const cell = cells[row] as number;
        const value = values[row] as number;
        if (cell >= 0 && value - value === 0) extremes[cell] = Math.max(value, extremes[cell] as number);
      }
    } else {
      for (let row = start; row < end; row++) {
        const cell = cells[row] as number;
        const value = values[row] as number;
        if (cell >= 0 && value - value === 0) extremes[cell] = Math.min(value, extremes[cell] as number);
      }
    }
  }

  endFile(): void {}

  state(cell: number): number {
    return this.#extremes[cell] as number;
  }
}

/** Register index × 64 + rank of a value in a HyperLogLog of `precision`, as `addToHyperLogLog` computes them. */
const scratchHash = { high: 0, low: 0 };
function packedRegister(value: Parameters<typeof hash64>[0], precision: number): number {
  const { high, low } = hash64(value, scratchHash);
  const index = high >>> (32 - precision);
  const rest = high << precision;
  const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - precision + Math.clz32(low) + 1;
  return index * 64 + rank;
}

/** The values HyperLogLog, top-K and distinct sets fold: anything but null, undefined and NaN. */
function isHashable(value: unknown): value is string | number | bigint | boolean {
  if (value === null || value === undefined) return false;
  const type = typeof value;
  if (type === 'number') return !Number.isNaN(value);
  return type === 'string' || type === 'bigint' || type === 'boolean';
}

class HyperLogLogFold implements FieldFold {
  readonly name: string;
  readonly #precision: number;
  #registers: Array<Uint8Array | undefined> = [];
  /** Per row: register × 64 + rank, or −1 for no value. */
  readonly #packed: (chunk: ScanChunk) => Int32Array;

  constructor(name: string, precision: number, packed: (chunk: ScanChunk) => Int32Array) {
    this.name = name;
    this.#precision = precision;
    this.#packed = packed;
  }

  ensure(): void {}

  update(cells: Int32Array, chunk: ScanChunk, start: number, end: number): void {
    const packed = this.#packed(chunk);
    const all = this.#registers;
    const size = 2 ** this.#precision;
    for (let row = start; row < end; row++) {
      const cell = cells[row] as number;
      const code = packed[row] as number;
      if (cell < 0 || code < 0) continue;
      let registers = all[cell];
      if (registers === undefined) {
        registers = new Uint8Array(size);
        all[cell] = registers;
      }
      const index = code >>> 6;
      const rank = code & 63;
      if (rank > (registers[index] as number)) registers[index] = rank;
    }
  }

  endFile(): void {}

  /** The codec bytes of the cell's state, written straight from its registers. */
  bytes(cell: number): Uint8Array {
    return encodeHyperLogLog(this.#precision, this.#registers[cell] ?? new Uint8Array(2 ** this.#precision));
  }

  state(cell: number): HyperLogLogState {
    return {
      precision: this.#precision,
      registers: this.#registers[cell] ?? new Uint8Array(2 ** this.#precision),
    };
  }
}

interface SketchCell {
  count: number;
  zeroCount: number;
  min: number;
  max: number;
  /** Counts of positive (and negative) values by key − `low`, when the key range is known and small. */
  positiveDense: Float64Array | undefined;
  negativeDense: Float64Array | undefined;
  readonly positive: Map<number, number>;
  readonly negative: Map<number, number>;
}

/** The range of absolute values of a number source (of its finite non-zero values), when known. */
export type AbsoluteRange = readonly [smallest: number, largest: number];

/** Dense per-cell key arrays are used while they hold at most this many counts in all. */
const DENSE_SKETCH_ENTRIES = 8_000_000;

/** The final bucket store of a sketch: keys below `maxKey − maxBuckets + 1` collapsed into that key. */
function storeOf(counts: Map<number, number>, maxBuckets: number): QuantileSketch['positive'] {
  let maxKey = Number.NEGATIVE_INFINITY;
  for (const key of counts.keys()) if (key > maxKey) maxKey = key;
  const lowestKept = maxKey - maxBuckets + 1;
  const buckets = new Map<number, number>();
  let minKey = Number.POSITIVE_INFINITY;
  for (const [key, weight] of counts) {
    const target = Math.max(key, lowestKept);
    buckets.set(target, (buckets.get(target) ?? 0) + weight);
    if (target < minKey) minKey = target;
  }
  return { buckets, minKey, maxKey };
}

class QuantilesFold implements FieldFold {
  readonly name: string;
  readonly #relativeAccuracy: number;
  readonly #maxBuckets: number;
  readonly #logGamma: number;
  readonly #values: RowNumbers;
  readonly #range: () => AbsoluteRange | undefined;
  #cells: Array<SketchCell | undefined> = [];
  /** Keys `low` … `low + span − 1` go to the dense arrays; `span` 0 when they are not used. */
  #low = 0;
  #span = -1;
  #denseEntries = 0;

  constructor(
    name: string,
    relativeAccuracy: number,
    maxBuckets: number,
    values: RowNumbers,
    range: () => AbsoluteRange | undefined,
  ) {
    this.name = name;
    this.#relativeAccuracy = relativeAccuracy;
    this.#maxBuckets = maxBuckets;
    // As quantiles.ts computes it, so the bucket keys are the same.
    this.#logGamma = Math.log((1 + relativeAccuracy) / (1 - relativeAccuracy));
    this.#values = values;
    this.#range = range;
  }

  ensure(): void {}

  #setUpDense(): void {
    this.#span = 0;
    const range = this.#range();
    if (range === undefined || !(range[0] > 0) || !Number.isFinite(range[1])) return;
    // One key of margin each side: the keys of the extremes bound every key (log and ceil are monotonic).
    const low = Math.ceil(Math.log(range[0]) / this.#logGamma) - 1;
    const high = Math.ceil(Math.log(range[1]) / this.#logGamma) + 1;
    if (high - low + 1 <= 4096) {
      this.#low = low;
      this.#span = high - low + 1;
    }
  }

  #newCell(): SketchCell {
    let positiveDense: Float64Array | undefined;
    let negativeDense: Float64Array | undefined;
    if (this.#span > 0 && this.#denseEntries + this.#span <= DENSE_SKETCH_ENTRIES) {
      positiveDense = new Float64Array(this.#span);
      negativeDense = new Float64Array(this.#span);
      this.#denseEntries += 2 * this.#span;
    }
    return {
      count: 0,
      zeroCount: 0,
      min: Number.POSITIVE_INFINITY,
      max: Number.NEGATIVE_INFINITY,
      positiveDense,
      negativeDense,
      positive: new Map(),
      negative: new Map(),
    };
  }

  update(cells: Int32Array, chunk: ScanChunk, start: number, end: number): void {
    if (this.#span < 0) this.#setUpDense();
    const values = this.#values(chunk);
    const all = this.#cells;
    const logGamma = this.#logGamma;
    const low = this.#low;
    const span = this.#span;
    for (let row = start; row < end; row++) {
      const cell = cells[row] as number;
      const value = values[row] as number;
      if (cell < 0 || value - value !== 0) continue;
      let sketch = all[cell];
      if (sketch === undefined) {
        sketch = this.#newCell();
        all[cell] = sketch;
      }
      sketch.count++;
      if (value < sketch.min) sketch.min = value;
      if (value > sketch.max) sketch.max = value;
      if (value === 0) {
        sketch.zeroCount++;
        continue;
      }
      const key = 0 + Math.ceil(Math.log(Math.abs(value)) / logGamma);
      const offset = key - low;
      if (value > 0) {
        const dense = sketch.positiveDense;
        if (dense !== undefined && offset >= 0 && offset < span)
          dense[offset] = (dense[offset] as number) + 1;
        else sketch.positive.set(key, (sketch.positive.get(key) ?? 0) + 1);
      } else {
        const dense = sketch.negativeDense;
        if (dense !== undefined && offset >= 0 && offset < span)
          dense[offset] = (dense[offset] as number) + 1;
        else {
          const negated = 0 - key;
          sketch.negative.set(negated, (sketch.negative.get(negated) ?? 0) + 1);
        }
      }
    }
  }

  endFile(): void {}

  state(cell: number): QuantileSketch {
    const sketch = this.#cells[cell];
    const positive = new Map(sketch?.positive);
    const negative = new Map(sketch?.negative);
    const low = this.#low;
    sketch?.positiveDense?.forEach((weight, offset) => {
      if (weight > 0) positive.set(low + offset, (positive.get(low + offset) ?? 0) + weight);
    });
    sketch?.negativeDense?.forEach((weight, offset) => {
      const key = 0 - (low + offset);
      if (weight > 0) negative.set(key, (negative.get(key) ?? 0) + weight);
    });
    return {
      relativeAccuracy: this.#relativeAccuracy,
      maxBuckets: this.#maxBuckets,
      count: sketch?.count ?? 0,
      zeroCount: sketch?.zeroCount ?? 0,
      min: sketch?.min ?? Number.POSITIVE_INFINITY,
      max: sketch?.max ?? Number.NEGATIVE_INFINITY,
      positive: storeOf(positive, this.#maxBuckets),
      negative: storeOf(negative, this.#maxBuckets),
    };
  }
}

/** Items of top-K and distinct sets, numbered: per row an item number, or −1 for no value. */
class ItemsFold implements FieldFold {
  readonly name: string;
  readonly #items: readonly unknown[];
  readonly #itemsOf: (chunk: ScanChunk) => Int32Array;
  readonly #capacity: number | undefined;
  #cells: Array<Map<number, number> | undefined> = [];

  constructor(
    name: string,
    items: readonly unknown[],
    itemsOf: (chunk: ScanChunk) => Int32Array,
    capacity: number | undefined,
  ) {
    this.name = name;
    this.#items = items;
    this.#itemsOf = itemsOf;
    this.#capacity = capacity;
  }

  ensure(): void {}

  update(cells: Int32Array, chunk: ScanChunk, start: number, end: number): void {
    const items = this.#itemsOf(chunk);
    const all = this.#cells;
    for (let row = start; row < end; row++) {
      const cell = cells[row] as number;
      const item = items[row] as number;
      if (cell < 0 || item < 0) continue;
      let counts = all[cell];
      if (counts === undefined) {
        counts = new Map();
        all[cell] = counts;
      }
      counts.set(item, (counts.get(item) ?? 0) + 1);
    }
  }

  endFile(): void {}

  /** True for a top-K field (a distinct set has no capacity). */
  get isTopK(): boolean {
    return this.#capacity !== undefined;
  }

  /** The cell's exact count of every item it saw. */
  itemCounts(cell: number): Array<[item: unknown, count: number]> {
    return [...(this.#cells[cell] ?? new Map<number, number>())].map(([item, itemCount]) => [
      this.#items[item],
      itemCount,
    ]);
  }

  state(cell: number): unknown {
    const counts = this.#cells[cell] ?? new Map<number, number>();
    if (this.#capacity === undefined) {
      return new Set([...counts.keys()].map((item) => this.#items[item]));
    }
    return topKSummary(this.#capacity, counts, this.#items);
  }
}

function compareItems(left: unknown, right: unknown): number {
  const rank = (value: unknown) => ['boolean', 'number', 'bigint'].indexOf(typeof value) + 1 || 4;
  const byType = rank(left) - rank(right);
  if (byType !== 0) return byType;
  if (left === right) return 0;
  return (left as string) < (right as string) ? -1 : 1;
}

/**
 * The Space-Saving summary of exact item counts: every item with error 0 when they fit in `capacity` (what any
 * fold of the same items gives), else the `capacity` largest counts (ties by item), exact, with error 0.
 */
function topKSummary(
  capacity: number,
  counts: ReadonlyMap<number, number>,
  items: readonly unknown[],
): SpaceSavingSummary {
  return exactTopKSummary(
    capacity,
    [...counts].map(([item, itemCount]) => [items[item], itemCount] as const),
  );
}

/**
 * The Space-Saving summary of exact counts of distinct items (`[item, count]` pairs, in any order): what the
 * columnar fold builds for a top-K field, and what the merge of a split run's parts rebuilds from their summed
 * counts.
 *
 * @example
 * exactTopKSummary(2, [['/a', 5], ['/b', 2], ['/c', 7]]).items; // ['/a', '/c']
 */
export function exactTopKSummary(
  capacity: number,
  counts: Iterable<readonly [item: unknown, count: number]>,
): SpaceSavingSummary {
  let total = 0;
  const counters = [...counts].map(([item, itemCount]) => {
    total += itemCount;
    return { item: item as string, count: itemCount };
  });
  counters.sort((a, b) => b.count - a.count || compareItems(a.item, b.item));
  const kept = counters.slice(0, capacity).reverse(); // ascending counts form a valid min-heap
  const summary: SpaceSavingSummary = {
    capacity,
    total,
    items: [],
    counts: [],
    errors: [],
    positions: new Map(),
  };
  for (const counter of kept) {
    summary.positions.set(counter.item, summary.items.length);
    summary.items.push(counter.item);
    summary.counts.push(counter.count);
    summary.errors.push(0);
  }
  return summary;
}

/** The cells of one view: key and bucket of each, found from (key number, bucket) per row. */
class Cells {
  readonly keys: string[] = [];
  readonly #keyNumbers = new Map<string, number>();
  cellKey = new Int32Array(0);
  cellBucket = new Float64Array(0);
  size = 0;
  readonly #bucketMs: number;
  /** The bucket number (event time ÷ bucket length, rounded down) of the earliest event. */
  readonly #firstOrdinal: number;
  readonly #span: number;
  #dense: Int32Array | undefined;
  readonly #sparse = new Map<number, number>();

  constructor(bucketMs: number, minTime: number, maxTime: number) {
    this.#bucketMs = bucketMs;
    this.#firstOrdinal = Math.floor(minTime / bucketMs);
    this.#span = Math.floor(maxTime / bucketMs) - this.#firstOrdinal + 1;
  }

  keyNumber(key: string): number {
    let number = this.#keyNumbers.get(key);
    if (number === undefined) {
      number = this.keys.length;
      this.keys.push(key);
      this.#keyNumbers.set(key, number);
    }
    return number;
  }

  /** Call once every key is known: a dense (key, bucket) table when it is small enough. */
  seal(): void {
    const size = this.keys.length * this.#span;
    if (size <= 8_000_000) this.#dense = new Int32Array(size).fill(-1);
  }

  /**
   * Fills `out` with the cell of each row (or −1 where `keep` is 0), creating cells; returns the cell count.
   * Event times are integers below 2^53, for which ⌊t ÷ b⌋·b is exactly the view's `bucketStart(t, b)`.
   */
  assign(
    time: Float64Array,
    keyTuples: Int32Array,
    keyOfTuple: Int32Array,
    keep: Uint8Array | undefined,
    size: number,
    out: Int32Array,
  ): number {
    const bucketMs = this.#bucketMs;
    const first = this.#firstOrdinal;
    const span = this.#span;
    const dense = this.#dense;
    for (let row = 0; row < size; row++) {
      if (keep !== undefined && keep[row] === 0) {
        out[row] = -1;
        continue;
      }
      const ordinal = Math.floor((time[row] as number) / bucketMs) - first;
      const key = keyOfTuple[keyTuples[row] as number] as number;
      const slot = key * span + ordinal;
      let cell = dense === undefined ? (this.#sparse.get(slot) ?? -1) : (dense[slot] as number);
      if (cell < 0) {
        cell = this.size++;
        if (cell >= this.cellKey.length) {
          this.cellKey = grow(this.cellKey, cell + 1);
          this.cellBucket = grow(this.cellBucket, cell + 1);
        }
        this.cellKey[cell] = key;
        this.cellBucket[cell] = (first + ordinal) * bucketMs;
        if (dense === undefined) this.#sparse.set(slot, cell);
        else dense[slot] = cell;
      }
      out[row] = cell;
    }
    return this.size;
  }
}

/** Per-tuple answers, computed once the tuple tables are known. */
interface TupleAnswers {
  readonly source: TupleSource;
  readonly evaluate: (values: readonly unknown[]) => unknown;
  readonly use: (answers: unknown[]) => void;
}

/** One compiled view within the scan. */
class ViewFold {
  readonly plan: ViewPlan;
  readonly fields: FieldFold[] = [];
  readonly answers: TupleAnswers[] = [];
  cells: Cells | undefined;
  keyOfTuple = new Int32Array(0);
  keySlot = -1;
  filter: ((chunk: ScanChunk) => Uint8Array) | undefined;
  readonly cellBuffer = new Int32Array(4096);

  constructor(plan: ViewPlan) {
    this.plan = plan;
  }
}

/**
 * The fold of every compiled view of one topic over one scan: it lays out the scan's columns
 * ({@link TopicFold.selectList}), takes the distinct tuples of the tuple inputs ({@link TopicFold.setTuples}),
 * folds chunk after chunk ({@link TopicFold.fold}) and builds each view's cells ({@link TopicFold.cellsOf}).
 *
 * @example
 * ```ts
 * const fold = new TopicFold(plans);
 * // run fold.tupleQueries(), give each result to fold.setTuples(i, rows), call fold.prepare(minTs, maxTs),
 * // then scan `SELECT ${fold.selectList().join(', ')} FROM lake` and fold each chunk
 * ```
 */
export class TopicFold {
  readonly #views: ViewFold[];
  readonly #numbers: string[] = [];
  readonly #flags: string[] = [];
  readonly #tuples: TupleSource[] = [];
  readonly #tupleKeys = new Map<string, number>();
  readonly #tables: Array<TupleTable | undefined> = [];
  #numberRanges: ReadonlyArray<AbsoluteRange | undefined> = [];
  /** Rows folded. */
  rows = 0;

  readonly #keepPartials: boolean;
  readonly #keepItemCounts: boolean;

  /**
   * `keepPartials`: keep each cell's per-file partial sums (see {@link ComputedCell.partials}); `keepItemCounts`:
   * each top-K field's exact item counts (see {@link ComputedCell.itemCounts}).
   */
  constructor(
    plans: readonly ViewPlan[],
    options: { readonly keepPartials?: boolean; readonly keepItemCounts?: boolean } = {},
  ) {
    this.#keepPartials = options.keepPartials ?? false;
    this.#keepItemCounts = options.keepItemCounts ?? false;
    const slots: Slots = {
      number: (source) => this.#slot(this.#numbers, source.kind === 'number' ? source.sql : ''),
      flag: (source) => this.#slot(this.#flags, source.sql),
      tuple: (source) => {
        const id = JSON.stringify(source.sql);
        let slot = this.#tupleKeys.get(id);
        if (slot === undefined) {
          slot = this.#tuples.length;
          this.#tuples.push(source);
          this.#tupleKeys.set(id, slot);
        }
        return slot;
      },
    };
    this.#views = plans.map((plan) => this.#bind(plan, slots));
  }

  #slot(list: string[], sql: string): number {
    const index = list.indexOf(sql);
    if (index >= 0) return index;
    list.push(sql);
    return list.length - 1;
  }

  #bind(plan: ViewPlan, slots: Slots): ViewFold {
    const view = new ViewFold(plan);
    view.keySlot = slots.tuple(plan.key.tuple);
    view.answers.push({
      source: plan.key.tuple,
      evaluate: plan.key.evaluate,
      use: (answers) => {
        const cells = view.cells as Cells;
        view.keyOfTuple = Int32Array.from(answers, (answer) => {
          if (typeof answer !== 'string') {
            throw new Error(
              `view "${plan.view.name}": its key function returned ${typeof answer}, not a string`,
            );
          }
          return cells.keyNumber(answer);
        });
      },
    });
    if (plan.filter !== undefined) view.filter = this.#flagsOf(view, plan.filter, slots);
    for (const field of plan.fields) view.fields.push(this.#fieldFold(view, field, slots));
    return view;
  }

  #flagsOf(view: ViewFold, source: FlagSource, slots: Slots): (chunk: ScanChunk) => Uint8Array {
    if (source.kind === 'flag') {
      const slot = slots.flag(source);
      return (chunk) => chunk.flags[slot] as Uint8Array;
    }
    const slot = slots.tuple(source.tuple);
    let perTuple = new Uint8Array(0);
    view.answers.push({
      source: source.tuple,
      evaluate: source.evaluate,
      use: (answers) => {
        perTuple = Uint8Array.from(answers, (answer) => (answer ? 1 : 0));
      },
    });
    const out = new Uint8Array(4096);
    return (chunk) => {
      const tuples = chunk.tuples[slot] as Int32Array;
      for (let row = 0; row < chunk.size; row++) out[row] = perTuple[tuples[row] as number] as number;
      return out;
    };
  }

  #numbersOf(
    view: ViewFold,
    source: NumberSource,
    slots: Slots,
  ): { values: RowNumbers; range: () => AbsoluteRange | undefined } {
    if (source.kind === 'number') {
      const slot = slots.number(source);
      return {
        values: (chunk) => chunk.numbers[slot] as Float64Array,
        range: () => this.#numberRanges[slot],
      };
    }
    const slot = slots.tuple(source.tuple);
    let perTuple = new Float64Array(0);
    let range: AbsoluteRange | undefined;
    view.answers.push({
      source: source.tuple,
      evaluate: source.evaluate,
      use: (answers) => {
        perTuple = Float64Array.from(answers, (answer) =>
          typeof answer === 'number' && Number.isFinite(answer) ? answer : Number.NaN,
        );
        let smallest = Number.POSITIVE_INFINITY;
        let largest = 0;
        for (const value of perTuple) {
          const absolute = Math.abs(value);
          if (absolute > 0 && absolute < smallest) smallest = absolute;
          if (absolute > largest) largest = absolute;
        }
        range = largest > 0 ? [smallest, largest] : undefined;
      },
    });
    const out = new Float64Array(4096);
    return {
      values: (chunk) => {
        const tuples = chunk.tuples[slot] as Int32Array;
        for (let row = 0; row < chunk.size; row++) out[row] = perTuple[tuples[row] as number] as number;
        return out;
      },
      range: () => range,
    };
  }

  /** Per row an int code of a hashable value: `encode` maps a value to its code (−1 when not hashable). */
  #codesOf(
    view: ViewFold,
    source: HashableSource,
    slots: Slots,
    encode: (value: unknown) => number,
  ): (chunk: ScanChunk) => Int32Array {
    const out = new Int32Array(4096);
    if (source.kind === 'number') {
      const slot = slots.number(source);
      const cache = new Map<number, number>();
      return (chunk) => {
        const numbers = chunk.numbers[slot] as Float64Array;
        for (let row = 0; row < chunk.size; row++) {
          const value = numbers[row] as number;
          let code = cache.get(value);
          if (code === undefined) {
            code = encode(value);
            if (cache.size < 1_000_000) cache.set(value, code);
          }
          out[row] = code;
        }
        return out;
      };
    }
    const slot = slots.tuple(source.tuple);
    let perTuple = new Int32Array(0);
    view.answers.push({
      source: source.tuple,
      evaluate: source.evaluate,
      use: (answers) => {
        perTuple = Int32Array.from(answers, encode);
      },
    });
    return (chunk) => {
      const tuples = chunk.tuples[slot] as Int32Array;
      for (let row = 0; row < chunk.size; row++) out[row] = perTuple[tuples[row] as number] as number;
      return out;
    };
  }

  #fieldFold(view: ViewFold, field: FieldPlan, slots: Slots): FieldFold {
    switch (field.kind) {
      case 'count':
        return new CountFold(
          field.name,
          field.predicate === undefined ? undefined : this.#flagsOf(view, field.predicate, slots),
        );
      case 'sum':
      case 'mean':
        return new SumFold(
          field.name,
          this.#numbersOf(view, field.value, slots).values,
          field.kind === 'mean',
          this.#keepPartials,
        );
      case 'min':
      case 'max':
        return new ExtremeFold(
          field.name,
          this.#numbersOf(view, field.value, slots).values,
          field.kind === 'max',
        );
      case 'quantiles': {
        const { values, range } = this.#numbersOf(view, field.value, slots);
        return new QuantilesFold(field.name, field.relativeAccuracy, field.maxBuckets, values, range);
      }
      case 'hyperLogLog': {
        const precision = field.precision;
        return new HyperLogLogFold(
          field.name,
          precision,
          this.#codesOf(view, field.value, slots, (value) =>
            isHashable(value) ? packedRegister(value, precision) : -1,
          ),
        );
      }
      case 'topK':
      case 'distinctSet': {
        const items: unknown[] = [];
        const numbers = new Map<unknown, number>();
        const encode = (value: unknown): number => {
          if (!isHashable(value)) return -1;
          const canonical = value === 0 ? 0 : value;
          let number = numbers.get(canonical);
          if (number === undefined) {
            number = items.length;
            items.push(canonical);
            numbers.set(canonical, number);
          }
          return number;
        };
        return new ItemsFold(
          field.name,
          items,
          this.#codesOf(view, field.value, slots, encode),
          field.kind === 'topK' ? field.capacity : undefined,
        );
      }
    }
  }

  /** The tuple inputs: for each, the SQL of its distinct pass is `SELECT DISTINCT hash(sql…), sql… FROM lake`. */
  get tupleSources(): readonly TupleSource[] {
    return this.#tuples;
  }

  /**
   * Gives the distinct tuples of tuple input `slot`: their 64-bit hashes (low and high words) and values. Returns
   * false when two tuples share a hash (the scan could not tell them apart).
   */
  setTuples(
    slot: number,
    hashes: ReadonlyArray<readonly [number, number]>,
    values: ReadonlyArray<readonly unknown[]>,
  ): boolean {
    const ids = new TupleIds(values.length);
    for (let index = 0; index < values.length; index++) {
      const [low, high] = hashes[index] as readonly [number, number];
      if (!ids.add(low, high, index)) return false;
    }
    this.#tables[slot] = { values, ids };
    return true;
  }

  /**
   * Evaluates every function on the distinct tuples and sizes the cell tables for event times in
   * [`minTime`, `maxTime`]; `numberRanges` are the ranges of absolute values of the number columns (for the
   * quantile sketches' dense arrays). Call after every {@link TopicFold.setTuples}, before folding.
   */
  prepare(
    minTime: number,
    maxTime: number,
    numberRanges: ReadonlyArray<AbsoluteRange | undefined> = [],
  ): void {
    this.#numberRanges = numberRanges;
    for (const view of this.#views) {
      view.cells = new Cells(view.plan.bucketMs, minTime, maxTime);
      for (const answer of view.answers) {
        const slot = this.#tupleKeys.get(JSON.stringify(answer.source.sql)) as number;
        const table = this.#tables[slot] as TupleTable;
        answer.use(table.values.map((values) => answer.evaluate(values)));
      }
      view.cells.seal();
    }
  }

  /** The scan's SELECT list: event time, file number, the numbers, the flags, then a hash per tuple input. */
  selectList(timeColumn: string): string[] {
    return [
      `CAST(${timeColumn} AS DOUBLE)`,
      'CAST(file_index AS UINTEGER)',
      ...this.#numbers.map((sql) => `CAST(${sql} AS DOUBLE)`),
      ...this.#flags,
      ...this.#tuples.map((tuple) => `hash(${tuple.sql.join(', ')})`),
    ];
  }

  /** The SQL of the number columns, in their order. */
  get numberColumns(): readonly string[] {
    return this.#numbers;
  }

  /** How many number, flag and tuple columns follow the time column. */
  get layout(): { readonly numbers: number; readonly flags: number; readonly tuples: number } {
    return { numbers: this.#numbers.length, flags: this.#flags.length, tuples: this.#tuples.length };
  }

  /** The tuple table of tuple input `slot`. */
  tableOf(slot: number): TupleTable {
    const table = this.#tables[slot];
    if (table === undefined) throw new Error(`tuple input ${slot} has no distinct values`);
    return table;
  }

  /** Folds one chunk of the scan into every view. */
  fold(chunk: ScanChunk): void {
    this.rows += chunk.size;
    for (const view of this.#views) {
      const count = (view.cells as Cells).assign(
        chunk.time,
        chunk.tuples[view.keySlot] as Int32Array,
        view.keyOfTuple,
        view.filter?.(chunk),
        chunk.size,
        view.cellBuffer,
      );
      for (const field of view.fields) field.ensure(count);
    }
    // Rows of one file at a time, so folds that keep per-file partial states end each file in place.
    const files = chunk.file;
    let start = 0;
    while (start < chunk.size) {
      const file = files[start] as number;
      if (file < this.#file) throw new Error('the scan returned the files out of order');
      while (this.#file < file) this.#endFile();
      let end = start + 1;
      while (end < chunk.size && files[end] === file) end++;
      for (const view of this.#views) {
        for (const field of view.fields) field.update(view.cellBuffer, chunk, start, end);
      }
      start = end;
    }
  }

  #file = 0;

  #endFile(): void {
    for (const view of this.#views) for (const field of view.fields) field.endFile();
    this.#file++;
  }

  /** The cells of every view, with their states serialized by the view's codec and presented. */
  *results(): Generator<{ view: ViewDefinition<AnyEvent>; cells: ComputedCell[] }> {
    this.#endFile();
    for (const view of this.#views) {
      const definition = view.plan.view;
      const aggregator = definition.aggregator;
      const cells = view.cells as Cells;
      const fieldAggregators = view.fields.map(
        (field) => definition.fields.find((candidate) => candidate.name === field.name)?.aggregator,
      );
      const stateOf = (cell: number): Record<string, unknown> => {
        const state: Record<string, unknown> = {};
        for (const field of view.fields) state[field.name] = field.state(cell);
        return state;
      };
      const fast =
        fieldAggregators.every((field) => field !== undefined) &&
        encodingsAgree(
          aggregator as Aggregator<never, unknown, unknown>,
          definition.fields,
          cells.size > 0
            ? [aggregator.zero as Record<string, unknown>, stateOf(0)]
            : [aggregator.zero as Record<string, unknown>],
        );
      const out: ComputedCell[] = [];
      for (let cell = 0; cell < cells.size; cell++) {
        const state = stateOf(cell);
        const bytes = fast
          ? encodeProduct(
              view.fields.map((field, index) => [
                field.name,
                field instanceof HyperLogLogFold
                  ? field.bytes(cell)
                  : (fieldAggregators[index] as Aggregator<never, unknown, unknown>).codec.serialize(
                      state[field.name],
                    ),
              ]),
            )
          : aggregator.codec.serialize(state);
        let partials: Record<string, readonly number[]> | undefined;
        if (this.#keepPartials) {
          partials = {};
          for (const field of view.fields) {
            if (field instanceof SumFold) partials[field.name] = field.partials(cell) ?? [];
          }
        }
        let itemCounts: Record<string, Array<[unknown, number]>> | undefined;
        if (this.#keepItemCounts) {
          itemCounts = {};
          for (const field of view.fields) {
            if (field instanceof ItemsFold && field.isTopK) itemCounts[field.name] = field.itemCounts(cell);
          }
        }
        out.push({
          key: cells.keys[cells.cellKey[cell] as number] as string,
          bucket: cells.cellBucket[cell] as number,
          state: bytes,
          value: aggregator.present(state),
          ...(partials === undefined ? {} : { partials }),
          ...(itemCounts === undefined ? {} : { itemCounts }),
        });
      }
      yield { view: definition, cells: out };
    }
  }
}
