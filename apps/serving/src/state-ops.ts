/**
 * Merging and presenting a view's stored states without a fresh allocation per merge: an accumulator folds encoded
 * states (the view's `product` codec bytes, as the batch tables and Redis hold them) field by field into state it
 * owns and reuses. Fields whose codec it knows get a kernel — a HyperLogLog is folded straight from its sparse or
 * dense bytes into one register array (no validation loop over 4 096 registers, no array per state), and its
 * estimate is computed from the registers' histogram, over the set registers only while few are set; a quantile
 * sketch's bucket counts are added into one map per sign and its three quantiles read in one pass; a number
 * (count, sum, min, max) is read without a reader object — and every other field (a mean, a top-K, a user's own
 * aggregator) goes through its own codec and `plus`. A kernel is used only when it gives the aggregator's own
 * answer: its codec is the library's (or, for numbers, reads back what the codec writes) and its presentation
 * equals the aggregator's `present` on sample states (an aggregator wrapped by `andThenPresent` is presented by
 * its own `present`). So the answer is the same as the aggregator's for any state.
 *
 * Values are rendered as JSON in field order, with distinct counts (HyperLogLog fields) rounded to integers unless
 * the raw estimate is asked for.
 */
import {
  type Aggregator,
  addToHyperLogLog,
  addToQuantileSketch,
  type BucketStore,
  type ErrorBound,
  emptyHyperLogLog,
  emptyQuantileSketch,
  estimateCardinality,
  type HyperLogLogState,
  hyperLogLogCodec,
  type QuantileSketch,
  quantileSketchCodec,
} from '@oxbow/dataflow';
import type { AnyEvent, ViewDefinition } from '@oxbow/views';

/** A view of the project, as the API handles any of them. */
export type AnyView = ViewDefinition<AnyEvent>;

/** A presented value with `undefined` (an empty mean or quantile) shown as `null`. */
export type PresentedValue = Record<string, unknown>;

type AnyAggregator = Aggregator<never, unknown, unknown>;

/** The quantiles a `quantiles` field presents, which `/top` can rank by. */
const QUANTILE_PARTS = ['p50', 'p95', 'p99'] as const;

/** Format tag and version of the product codec (`@oxbow/dataflow`'s `product`). */
const PRODUCT_TAG = 0x0a;
/** Format tag and version of the HyperLogLog codec. */
const HLL_TAG = 0x07;

/** One field's running merge. */
interface FieldAccumulator {
  reset(): void;
  /** Merges the field's codec bytes, `bytes[start, end)`. */
  addBytes(bytes: Uint8Array, start: number, end: number): void;
  /** Merges a decoded state of the field (not kept: the accumulator never aliases it for writing). */
  addState(state: unknown): void;
  /** The merged state (the field's `zero` when nothing was added); the caller may keep it. */
  state(): unknown;
  /** The field's presented value of the merged state. */
  present(): unknown;
}

/** Any field: its codec's `deserialize` and its aggregator's `plus`. */
class GenericField implements FieldAccumulator {
  readonly #aggregator: AnyAggregator;
  #state: unknown;
  #has = false;

  constructor(aggregator: AnyAggregator) {
    this.#aggregator = aggregator;
  }

  reset(): void {
    this.#state = undefined;
    this.#has = false;
  }

  addBytes(bytes: Uint8Array, start: number, end: number): void {
    this.addState(this.#aggregator.codec.deserialize(bytes.subarray(start, end)));
  }

  addState(state: unknown): void {
    // `plus` never mutates its arguments, so holding the first state as is aliases nothing that is written.
    this.#state = this.#has ? this.#aggregator.plus(this.#state, state) : state;
    this.#has = true;
  }

  state(): unknown {
    return this.#has ? this.#state : this.#aggregator.zero;
  }

  present(): unknown {
    return this.#aggregator.present(this.state());
  }
}

/** Reads an unsigned LEB128 varint at `offset`; returns the value and the next offset in `cursor`. */
function readVarUint(bytes: Uint8Array, cursor: { offset: number }): number {
  let value = 0;
  let scale = 1;
  for (let index = 0; index < 8; index++) {
    const next = bytes[cursor.offset++];
    if (next === undefined) throw new RangeError('truncated varint');
    value += (next & 0x7f) * scale;
    if ((next & 0x80) === 0) return value;
    scale *= 0x80;
  }
  throw new RangeError('varint longer than 8 bytes');
}

/**
 * The estimate of Ertl's improved raw estimator from a register histogram (`histogram[r]` = registers holding
 * r; length q + 2 with q = 64 − precision): the arithmetic of `estimateCardinality`, step for step, so the result
 * is bit-identical to it (checked by the unit tests).
 */
export function estimateFromHistogram(histogram: Float64Array | number[], m: number, q: number): number {
  let z = m * tau((m - (histogram[q + 1] ?? 0)) / m);
  for (let k = q; k >= 1; k--) z = 0.5 * (z + (histogram[k] ?? 0));
  z += m * sigma((histogram[0] ?? 0) / m);
  return (m * m) / (2 * Math.LN2 * z);
}

function sigma(fractionEmpty: number): number {
  if (fractionEmpty === 1) return Number.POSITIVE_INFINITY;
  let x = fractionEmpty;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z !== previous);
  return z;
}

function tau(fraction: number): number {
  if (fraction === 0 || fraction === 1) return 0;
  let x = fraction;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
  } while (z !== previous);
  return z / 3;
}

/**
 * A HyperLogLog field folded into one register array. While only few registers are set it remembers which, so
 * a reset and an estimate cost the set registers, not all m.
 */
class HyperLogLogField implements FieldAccumulator {
  readonly #precision: number;
  readonly #registers: Uint8Array;
  readonly #histogram: Float64Array;
  /** Indexes of the set registers while `#sparse`; beyond m/8 of them the accumulator counts as dense. */
  readonly #set: Uint32Array;
  #setCount = 0;
  #sparse = true;
  readonly #fallback: AnyAggregator;
  /** True when the aggregator presents the plain estimate (not wrapped by `andThenPresent`). */
  readonly #plainEstimate: boolean;

  constructor(precision: number, aggregator: AnyAggregator) {
    this.#precision = precision;
    this.#registers = new Uint8Array(2 ** precision);
    this.#histogram = new Float64Array(64 - precision + 2);
    this.#set = new Uint32Array(this.#registers.length >>> 3);
    this.#fallback = aggregator;
    this.#plainEstimate = [0, 3, 1000].every((values) => {
      let state = emptyHyperLogLog(precision);
      for (let value = 0; value < values; value++) state = addToHyperLogLog(state, `v${value}`);
      return aggregator.present(state) === estimateCardinality(state);
    });
  }

  reset(): void {
    if (this.#sparse) {
      for (let index = 0; index < this.#setCount; index++) this.#registers[this.#set[index] as number] = 0;
    } else {
      this.#registers.fill(0);
    }
    this.#setCount = 0;
    this.#sparse = true;
  }

  #raise(index: number, rank: number): void {
    const registers = this.#registers;
    const current = registers[index] as number;
    if (rank <= current) return;
    registers[index] = rank;
    if (current === 0 && this.#sparse) {
      if (this.#setCount < this.#set.length) this.#set[this.#setCount++] = index;
      else this.#sparse = false;
    }
  }

  addBytes(bytes: Uint8Array, start: number, end: number): void {
    const m = this.#registers.length;
    if (
      bytes[start] !== HLL_TAG ||
      bytes[start + 1] !== 1 ||
      bytes[start + 2] !== this.#precision ||
      end - start < 4
    ) {
      // Another version or precision: the codec decides (and fails on a precision it cannot merge).
      this.addState(hyperLogLogCodec.deserialize(bytes.subarray(start, end)));
      return;
    }
    const maxRank = 65 - this.#precision;
    const encoding = bytes[start + 3];
    if (encoding === 0) {
      if (end - start !== 4 + m) throw new RangeError('HyperLogLog state: wrong dense length');
      // A dense state sets most registers: the accumulator is dense from here on.
      this.#sparse = false;
      const registers = this.#registers;
      const first = start + 4;
      for (let index = 0; index < m; index++) {
        const rank = bytes[first + index] as number;
        if (rank > (registers[index] as number)) registers[index] = rank;
      }
      return;
    }
    if (encoding !== 1) {
      this.addState(hyperLogLogCodec.deserialize(bytes.subarray(start, end)));
      return;
    }
    const cursor = { offset: start + 4 };
    const entries = readVarUint(bytes, cursor);
    let index = 0;
    for (let entry = 0; entry < entries; entry++) {
      index += readVarUint(bytes, cursor);
      const rank = bytes[cursor.offset++];
      if (rank === undefined || index >= m || rank > maxRank) {
        throw new RangeError('HyperLogLog state: bad register');
      }
      this.#raise(index, rank);
    }
    if (cursor.offset !== end) throw new RangeError('HyperLogLog state: trailing bytes');
  }

  addState(state: unknown): void {
    const hll = state as { precision: number; registers?: Uint8Array; entries?: Uint32Array; size?: number };
    if (hll.precision !== this.#precision) {
      // Let the aggregator raise its own error for states it cannot merge.
      this.#fallback.plus(this.#fallback.zero, state);
      return;
    }
    if (hll.registers !== undefined) {
      const registers = hll.registers;
      for (let index = 0; index < registers.length; index++) {
        const rank = registers[index] as number;
        if (rank !== 0) this.#raise(index, rank);
      }
      return;
    }
    if (hll.entries !== undefined) {
      // A sparse state (set registers as `index × 64 + value`).
      const size = hll.size ?? hll.entries.length;
      for (let entry = 0; entry < size; entry++) {
        const packed = hll.entries[entry] as number;
        this.#raise(packed >>> 6, packed & 63);
      }
      return;
    }
    const bytes = hyperLogLogCodec.serialize(state as HyperLogLogState);
    this.addBytes(bytes, 0, bytes.length);
  }

  state(): HyperLogLogState {
    return { precision: this.#precision, registers: this.#registers.slice() } as HyperLogLogState;
  }

  present(): unknown {
    if (!this.#plainEstimate) return this.#fallback.present(this.state());
    const m = this.#registers.length;
    const histogram = this.#histogram;
    histogram.fill(0);
    const registers = this.#registers;
    if (this.#sparse) {
      histogram[0] = m - this.#setCount;
      for (let index = 0; index < this.#setCount; index++) {
        const rank = registers[this.#set[index] as number] as number;
        histogram[rank] = (histogram[rank] as number) + 1;
      }
    } else {
      for (let index = 0; index < m; index++) {
        const rank = registers[index] as number;
        histogram[rank] = (histogram[rank] as number) + 1;
      }
    }
    return estimateFromHistogram(histogram, m, 64 - this.#precision);
  }
}

/**
 * A number state under a format tag (`[tag, 1, number]`, the library's count/sum/min/max codecs), merged with the
 * aggregator's own `plus`; only used for a codec that reads back as this on sample values.
 */
class ScalarField implements FieldAccumulator {
  readonly #aggregator: AnyAggregator;
  readonly #plus: (left: number, right: number) => number;
  readonly #view = new DataView(new ArrayBuffer(8));
  #state = 0;
  #has = false;

  constructor(aggregator: AnyAggregator) {
    this.#aggregator = aggregator;
    this.#plus = aggregator.plus as unknown as (left: number, right: number) => number;
  }

  /** The number in `bytes` as the library's number codecs write it, or undefined when they are not such bytes. */
  parse(bytes: Uint8Array, start = 0, end = bytes.length): number | undefined {
    if (end - start < 4 || bytes[start + 1] !== 1) return undefined;
    const encoding = bytes[start + 2];
    if (encoding === 2) {
      if (end - start !== 11) return undefined;
      for (let index = 0; index < 8; index++) this.#view.setUint8(index, bytes[start + 3 + index] as number);
      return this.#view.getFloat64(0, true);
    }
    if (encoding !== 0 && encoding !== 1) return undefined;
    let value = 0;
    let scale = 1;
    let offset = start + 3;
    for (;;) {
      const next = bytes[offset++];
      if (next === undefined || offset > start + 12) return undefined;
      value += (next & 0x7f) * scale;
      if ((next & 0x80) === 0) break;
      scale *= 0x80;
    }
    if (offset !== end) return undefined;
    return encoding === 0 ? value : -value;
  }

  /** True when this field's codec writes what {@link ScalarField.parse} reads, on sample values. */
  static fits(aggregator: AnyAggregator): boolean {
    if (typeof aggregator.zero !== 'number') return false;
    const probe = new ScalarField(aggregator);
    try {
      return [0, 1, 7, 300, -42, 12.5, 2 ** 40 + 3, -0.25].every(
        (value) => probe.parse(aggregator.codec.serialize(value)) === value,
      );
    } catch {
      return false;
    }
  }

  reset(): void {
    this.#has = false;
  }

  addBytes(bytes: Uint8Array, start: number, end: number): void {
    const value = this.parse(bytes, start, end);
    this.addState(
      value === undefined ? this.#aggregator.codec.deserialize(bytes.subarray(start, end)) : value,
    );
  }

  addState(state: unknown): void {
    this.#state = this.#has ? this.#plus(this.#state, state as number) : (state as number);
    this.#has = true;
  }

  state(): unknown {
    return this.#has ? this.#state : this.#aggregator.zero;
  }

  present(): unknown {
    return this.#aggregator.present(this.state());
  }
}

/**
 * The bucket counts of one sign of a quantile sketch in a dense window of keys, added as the library's
 * `addToStore` adds them: a key above the highest moves the lowest kept key to `highest − maxBuckets + 1`, and
 * everything below collapses into it; a key below it counts there. So the kept span never exceeds `maxBuckets`
 * and the window (twice as long) only moves when the keys drift.
 */
class QuantileSide {
  readonly #maxBuckets: number;
  #counts: Float64Array;
  /** The key at index 0 of the window. */
  #base = 0;
  /** Lowest and highest key with a count (lo > hi: empty). */
  lo = 0;
  hi = -1;

  constructor(maxBuckets: number) {
    this.#maxBuckets = maxBuckets;
    this.#counts = new Float64Array(2 * maxBuckets + 16);
  }

  get empty(): boolean {
    return this.lo > this.hi;
  }

  reset(): void {
    if (this.empty) return;
    this.#counts.fill(0, this.lo - this.#base, this.hi - this.#base + 1);
    this.lo = 0;
    this.hi = -1;
  }

  count(key: number): number {
    return this.#counts[key - this.#base] ?? 0;
  }

  /** Makes the window hold keys [from, to] (at most its length apart), keeping the counts of [lo, hi]. */
  #hold(from: number, to: number): void {
    const capacity = this.#counts.length;
    if (from >= this.#base && to < this.#base + capacity) return;
    const base = from - Math.floor((capacity - (to - from + 1)) / 2);
    const moved = new Float64Array(capacity);
    const keepFrom = Math.max(this.lo, from);
    const keepTo = Math.min(this.hi, to);
    for (let key = keepFrom; key <= keepTo; key++)
      moved[key - base] = this.#counts[key - this.#base] as number;
    this.#counts = moved;
    this.#base = base;
  }

  add(key: number, weight: number): void {
    if (this.empty) {
      this.#hold(key, key);
      this.lo = key;
      this.hi = key;
      this.#counts[key - this.#base] = weight;
      return;
    }
    if (key > this.hi) {
      const lowestKept = key - this.#maxBuckets + 1;
      let lo = this.lo;
      let collapsed = 0;
      if (lo < lowestKept) {
        const counts = this.#counts;
        const end = Math.min(this.hi, lowestKept - 1);
        for (let k = lo; k <= end; k++) {
          collapsed += counts[k - this.#base] as number;
          counts[k - this.#base] = 0;
        }
        lo = lowestKept;
      }
      this.#hold(lo, key);
      this.lo = lo;
      this.hi = key;
      const counts = this.#counts;
      if (collapsed !== 0)
        counts[lowestKept - this.#base] = (counts[lowestKept - this.#base] as number) + collapsed;
      counts[key - this.#base] = (counts[key - this.#base] as number) + weight;
      return;
    }
    const target = Math.max(key, this.hi - this.#maxBuckets + 1);
    if (target < this.lo) {
      this.#hold(target, this.hi);
      this.lo = target;
    }
    const counts = this.#counts;
    counts[target - this.#base] = (counts[target - this.#base] as number) + weight;
  }
}

/**
 * A quantile sketch (the library's DDSketch) folded into one dense window of bucket counts per sign (see
 * {@link QuantileSide}); its three quantiles are read in one ascending pass.
 */
class QuantileField implements FieldAccumulator {
  readonly #aggregator: AnyAggregator;
  readonly #relativeAccuracy: number;
  readonly #maxBuckets: number;
  readonly #exactPresent: boolean;
  readonly #view = new DataView(new ArrayBuffer(8));
  #bytes: Uint8Array = new Uint8Array(0);
  #offset = 0;
  readonly #positive: QuantileSide;
  readonly #negative: QuantileSide;
  #zeroCount = 0;
  #count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  constructor(aggregator: AnyAggregator, relativeAccuracy: number, maxBuckets: number, check = true) {
    this.#aggregator = aggregator;
    this.#relativeAccuracy = relativeAccuracy;
    this.#maxBuckets = maxBuckets;
    this.#positive = new QuantileSide(maxBuckets);
    this.#negative = new QuantileSide(maxBuckets);
    this.#exactPresent =
      !check || QuantileField.#presentsLikeLibrary(aggregator, relativeAccuracy, maxBuckets);
  }

  /** True when the aggregator presents `{ p50, p95, p99 }` as {@link QuantileField.present} computes them. */
  static #presentsLikeLibrary(
    aggregator: AnyAggregator,
    relativeAccuracy: number,
    maxBuckets: number,
  ): boolean {
    const probe = new QuantileField(aggregator, relativeAccuracy, maxBuckets, false);
    const samples: number[][] = [[], [0], [3.5, -2, 0, 17, 17, 250, 0.001], [-5, -1, -100]];
    return samples.every((values) => {
      let sketch = emptyQuantileSketch({ relativeAccuracy, maxBuckets });
      for (const value of values) sketch = addToQuantileSketch(sketch, value);
      probe.reset();
      probe.addState(sketch);
      return JSON.stringify(probe.present()) === JSON.stringify(aggregator.present(sketch));
    });
  }

  reset(): void {
    this.#positive.reset();
    this.#negative.reset();
    this.#zeroCount = 0;
    this.#count = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = Number.NEGATIVE_INFINITY;
  }

  #varuint(): number {
    let value = 0;
    let scale = 1;
    for (let index = 0; index < 8; index++) {
      const next = this.#bytes[this.#offset++];
      if (next === undefined) throw new RangeError('quantile sketch: truncated');
      value += (next & 0x7f) * scale;
      if ((next & 0x80) === 0) return value;
      scale *= 0x80;
    }
    throw new RangeError('quantile sketch: varint too long');
  }

  #float64(): number {
    const bytes = this.#bytes;
    const offset = this.#offset;
    if (offset + 8 > bytes.length) throw new RangeError('quantile sketch: truncated');
    const view = this.#view;
    for (let index = 0; index < 8; index++) view.setUint8(index, bytes[offset + index] as number);
    this.#offset = offset + 8;
    return view.getFloat64(0, true);
  }

  #number(): number {
    const encoding = this.#bytes[this.#offset++];
    if (encoding === 0) return this.#varuint();
    if (encoding === 1) return -this.#varuint();
    if (encoding === 2) return this.#float64();
    throw new RangeError('quantile sketch: bad number');
  }

  #readSide(side: QuantileSide): void {
    const size = this.#varuint();
    let key = 0;
    for (let index = 0; index < size; index++) {
      key = index === 0 ? this.#number() : key + this.#varuint();
      const weight = this.#number();
      this.#count += weight;
      side.add(key, weight);
    }
  }

  addBytes(bytes: Uint8Array, start: number, end: number): void {
    if (bytes[start] !== 0x08 || bytes[start + 1] !== 1) {
      this.addState(quantileSketchCodec.deserialize(bytes.subarray(start, end)));
      return;
    }
    this.#bytes = bytes;
    this.#offset = start + 2;
    const relativeAccuracy = this.#float64();
    const maxBuckets = this.#varuint();
    if (relativeAccuracy !== this.#relativeAccuracy || maxBuckets !== this.#maxBuckets) {
      // Let the aggregator raise its own error for sketches it cannot merge.
      this.#aggregator.plus(
        this.#aggregator.zero,
        quantileSketchCodec.deserialize(bytes.subarray(start, end)),
      );
      return;
    }
    const zeroCount = this.#number();
    const min = this.#float64();
    const max = this.#float64();
    this.#zeroCount += zeroCount;
    this.#count += zeroCount;
    if (min < this.#min) this.#min = min;
    if (max > this.#max) this.#max = max;
    this.#readSide(this.#positive);
    this.#readSide(this.#negative);
    if (this.#offset !== end) throw new RangeError('quantile sketch: trailing bytes');
  }

  addState(state: unknown): void {
    const sketch = state as QuantileSketch;
    if (sketch.relativeAccuracy !== this.#relativeAccuracy || sketch.maxBuckets !== this.#maxBuckets) {
      this.#aggregator.plus(this.#aggregator.zero, sketch);
      return;
    }
    this.#zeroCount += sketch.zeroCount;
    this.#count += sketch.zeroCount;
    if (sketch.min < this.#min) this.#min = sketch.min;
    if (sketch.max > this.#max) this.#max = sketch.max;
    for (const [side, store] of [
      [this.#positive, sketch.positive],
      [this.#negative, sketch.negative],
    ] as const) {
      // Ascending, as a sketch's own merge adds them (the collapse depends only on the largest key anyway).
      for (const key of [...store.buckets.keys()].sort((a, b) => a - b)) {
        const weight = store.buckets.get(key) ?? 0;
        this.#count += weight;
        side.add(key, weight);
      }
    }
  }

  state(): QuantileSketch {
    const store = (side: QuantileSide): BucketStore => {
      const buckets = new Map<number, number>();
      let minKey = Number.POSITIVE_INFINITY;
      let maxKey = Number.NEGATIVE_INFINITY;
      for (let key = side.lo; key <= side.hi; key++) {
        const weight = side.count(key);
        if (weight === 0) continue;
        buckets.set(key, weight);
        if (key < minKey) minKey = key;
        maxKey = key;
      }
      return { buckets, minKey, maxKey };
    };
    return {
      relativeAccuracy: this.#relativeAccuracy,
      maxBuckets: this.#maxBuckets,
      count: this.#count,
      zeroCount: this.#zeroCount,
      min: this.#min,
      max: this.#max,
      positive: store(this.#positive),
      negative: store(this.#negative),
    };
  }

  /** `{ p50, p95, p99 }` in one pass, as the library's `quantile` computes each. */
  present(): unknown {
    if (!this.#exactPresent) return this.#aggregator.present(this.state());
    const count = this.#count;
    if (count === 0) return { p50: undefined, p95: undefined, p99: undefined };
    const gamma = (1 + this.#relativeAccuracy) / (1 - this.#relativeAccuracy);
    const max = this.#max;
    const min = this.#min;
    const at = (key: number) => Math.min(max, Math.max(min, (2 * gamma ** key) / (gamma + 1)));
    const ranks = [0.5 * (count - 1), 0.95 * (count - 1), 0.99 * (count - 1)];
    const out: Array<number | undefined> = [undefined, undefined, undefined];
    let next = 0;
    let seen = 0;
    const negative = this.#negative;
    for (let key = negative.lo; key <= negative.hi && next < 3; key++) {
      const weight = negative.count(key);
      if (weight === 0) continue;
      seen += weight;
      while (next < 3 && seen > (ranks[next] as number)) {
        out[next++] = Math.min(max, Math.max(min, -((2 * gamma ** -key) / (gamma + 1))));
      }
    }
    seen += this.#zeroCount;
    while (next < 3 && seen > (ranks[next] as number)) out[next++] = 0;
    const positive = this.#positive;
    for (let key = positive.lo; key <= positive.hi && next < 3; key++) {
      const weight = positive.count(key);
      if (weight === 0) continue;
      seen += weight;
      while (next < 3 && seen > (ranks[next] as number)) out[next++] = at(key);
    }
    while (next < 3) out[next++] = max;
    return { p50: out[0], p95: out[1], p99: out[2] };
  }
}

function fieldAccumulator(aggregator: AnyAggregator): FieldAccumulator {
  const { precision, relativeAccuracy, maxBuckets } = aggregator.parameters ?? {};
  if (aggregator.codec === hyperLogLogCodec && typeof precision === 'number' && Number.isInteger(precision)) {
    return new HyperLogLogField(precision, aggregator);
  }
  if (
    aggregator.codec === quantileSketchCodec &&
    typeof relativeAccuracy === 'number' &&
    typeof maxBuckets === 'number'
  ) {
    return new QuantileField(aggregator, relativeAccuracy, maxBuckets);
  }
  if (ScalarField.fits(aggregator)) return new ScalarField(aggregator);
  return new GenericField(aggregator);
}

/** A field name as the product codec writes it: a varint length and its UTF-8 bytes. */
function encodedName(name: string): Uint8Array {
  return new TextEncoder().encode(name);
}

function sameBytes(bytes: Uint8Array, offset: number, name: Uint8Array): boolean {
  for (let index = 0; index < name.length; index++) if (bytes[offset + index] !== name[index]) return false;
  return true;
}

/**
 * The running merge of a view's states (a `product` of its fields): add encoded or decoded states, then read the
 * merged state or its presented value; `reset` to start over without allocating.
 */
export class ViewAccumulator {
  readonly #ops: ViewStateOps;
  readonly #fields: FieldAccumulator[];
  #count = 0;

  /** Use {@link ViewStateOps.accumulator}. */
  constructor(ops: ViewStateOps, fields: FieldAccumulator[]) {
    this.#ops = ops;
    this.#fields = fields;
  }

  /** How many states were added since the last reset. */
  get count(): number {
    return this.#count;
  }

  reset(): void {
    if (this.#count === 0) return;
    for (const field of this.#fields) field.reset();
    this.#count = 0;
  }

  /** Merges a state in the view's codec bytes. */
  addBytes(bytes: Uint8Array): void {
    this.#count++;
    if (bytes[0] !== PRODUCT_TAG || bytes[1] !== 1) {
      this.#addDecoded(this.#ops.aggregator.codec.deserialize(bytes) as Record<string, unknown>);
      return;
    }
    const cursor = { offset: 2 };
    const size = readVarUint(bytes, cursor);
    const names = this.#ops.encodedNames;
    for (let entry = 0; entry < size; entry++) {
      const nameLength = readVarUint(bytes, cursor);
      const nameOffset = cursor.offset;
      cursor.offset += nameLength;
      const length = readVarUint(bytes, cursor);
      const start = cursor.offset;
      cursor.offset += length;
      if (cursor.offset > bytes.length) throw new RangeError('product state: truncated');
      // A stored field the view no longer has is ignored; a field missing from the bytes stays zero.
      for (let field = 0; field < names.length; field++) {
        const name = names[field] as Uint8Array;
        if (name.length === nameLength && sameBytes(bytes, nameOffset, name)) {
          (this.#fields[field] as FieldAccumulator).addBytes(bytes, start, start + length);
          break;
        }
      }
    }
  }

  /** Merges a decoded state of the view (a record of field states). */
  addState(state: Record<string, unknown>): void {
    this.#count++;
    this.#addDecoded(state);
  }

  #addDecoded(state: Record<string, unknown>): void {
    const fields = this.#ops.view.fields;
    for (let index = 0; index < fields.length; index++) {
      (this.#fields[index] as FieldAccumulator).addState(state[(fields[index] as { name: string }).name]);
    }
  }

  /** The merged state (the view's zero when nothing was added), owned by the caller. */
  state(): Record<string, unknown> {
    const state: Record<string, unknown> = {};
    const fields = this.#ops.view.fields;
    for (let index = 0; index < fields.length; index++) {
      state[(fields[index] as { name: string }).name] = (this.#fields[index] as FieldAccumulator).state();
    }
    return state;
  }

  /** The merged state in the view's codec bytes. */
  bytes(): Uint8Array {
    return this.#ops.aggregator.codec.serialize(this.state());
  }

  /** The presented value of the merged state, `undefined` shown as `null`. */
  present(): PresentedValue {
    const value: PresentedValue = {};
    const fields = this.#ops.view.fields;
    for (let index = 0; index < fields.length; index++) {
      value[(fields[index] as { name: string }).name] = nullify(
        (this.#fields[index] as FieldAccumulator).present(),
      );
    }
    return value;
  }
}

function nullify(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  if (value instanceof Set || value instanceof Map) return value;
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) out[name] = nullify(inner);
  return out;
}

/** JSON of presented values: bigints as numbers when safe (else strings), sets and maps as arrays. */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Set) return [...value];
  if (value instanceof Map) return [...value];
  return value;
}

/** A name `/top` ranks by: a numeric field, or one quantile of a quantiles field. */
export interface RankableField {
  /** As `?by=` names it: `hits`, `latencyMs.p99`. */
  readonly name: string;
  readonly field: string;
  readonly part: (typeof QUANTILE_PARTS)[number] | undefined;
}

/** The accuracy an answer states for each approximate field: its aggregator's error bound. */
export type Accuracy = Readonly<Record<string, ErrorBound>>;

/**
 * What the serving layer does with one view's states: accumulators, rendering, ranking.
 *
 * @example
 * const ops = new ViewStateOps(project.view('page_views_hourly'));
 * const merged = ops.accumulator();
 * for (const bytes of cells) merged.addBytes(bytes);
 * ops.render(merged.present(), false); // '{"hits":391,"errors":15,…,"uniqueUsers":223,…}'
 */
export class ViewStateOps {
  readonly view: AnyView;
  readonly aggregator: AnyAggregator;
  /** The fields' names as the product codec stores them, in the view's field order. */
  readonly encodedNames: readonly Uint8Array[];
  /** What `/top` can rank by, in the order `GET /v1/views` lists them. */
  readonly rankable: readonly RankableField[];
  /** The approximate fields' error bounds (empty when every field is exact). */
  readonly accuracy: Accuracy;
  /** `,"accuracy":{…}` as answers carry it, or `''` when every field is exact. */
  readonly accuracyJson: string;
  /** `"name":` of each field, in order. */
  readonly #jsonNames: readonly string[];
  /** True for the fields presented as rounded integers (distinct counts) unless raw values are asked for. */
  readonly #rounded: readonly boolean[];
  readonly #scratch: ViewAccumulator;

  constructor(view: AnyView) {
    this.view = view;
    this.aggregator = view.aggregator as unknown as AnyAggregator;
    this.encodedNames = view.fields.map((field) => encodedName(field.name));
    this.#jsonNames = view.fields.map((field) => `${JSON.stringify(field.name)}:`);
    this.#rounded = view.fields.map((field) => field.kind === 'distinct');
    this.rankable = view.fields.flatMap((field): RankableField[] =>
      field.kind === 'quantiles'
        ? QUANTILE_PARTS.map((part) => ({ name: `${field.name}.${part}`, field: field.name, part }))
        : [{ name: field.name, field: field.name, part: undefined }],
    );
    const accuracy: Record<string, ErrorBound> = {};
    for (const field of view.fields) {
      if (field.aggregator.approximate) accuracy[field.name] = field.aggregator.errorBound;
    }
    this.accuracy = accuracy;
    this.accuracyJson = Object.keys(accuracy).length > 0 ? `,"accuracy":${JSON.stringify(accuracy)}` : '';
    this.#scratch = this.accumulator();
  }

  /** A fresh accumulator of this view's states. */
  accumulator(): ViewAccumulator {
    return new ViewAccumulator(
      this,
      this.view.fields.map((field) => fieldAccumulator(field.aggregator as AnyAggregator)),
    );
  }

  /** A shared accumulator for synchronous one-off merges (reset before use; never held across an await). */
  get scratch(): ViewAccumulator {
    return this.#scratch;
  }

  /**
   * The JSON of a presented value, fields in the view's order; distinct counts rounded to integers unless `raw`.
   *
   * @example
   * ops.render({ hits: 3, uniqueUsers: 2.0000249, latencyMs: { p50: 41, p95: 90, p99: 90 } }, false);
   * // '{"hits":3,"uniqueUsers":2,"latencyMs":{"p50":41,"p95":90,"p99":90}}'
   */
  render(value: PresentedValue, raw: boolean): string {
    const fields = this.view.fields;
    let json = '{';
    for (let index = 0; index < fields.length; index++) {
      let inner = value[(fields[index] as { name: string }).name];
      if (!raw && this.#rounded[index] === true && typeof inner === 'number' && Number.isFinite(inner)) {
        inner = Math.round(inner);
      }
      const text =
        typeof inner === 'number'
          ? Number.isFinite(inner)
            ? String(inner)
            : 'null'
          : (JSON.stringify(inner ?? null, jsonValue) ?? 'null');
      json += `${index === 0 ? '' : ','}${this.#jsonNames[index]}${text}`;
    }
    return `${json}}`;
  }

  /** The value `/top` ranks by for rankable name `index` (`NaN` when it has none, e.g. an empty quantile). */
  rankOf(value: PresentedValue, index: number): number {
    const rankable = this.rankable[index] as RankableField;
    const raw = value[rankable.field];
    const picked =
      rankable.part === undefined
        ? raw
        : (raw as Record<string, unknown> | null | undefined)?.[rankable.part];
    return typeof picked === 'number' ? picked : Number.NaN;
  }
}
