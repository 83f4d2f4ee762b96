/**
 * Merging and presenting a view's stored states without a fresh allocation per merge: an accumulator folds encoded
 * states (the view's `product` codec bytes, as the batch tables and Redis hold them) field by field into state it
 * owns and reuses. Fields whose codec it knows get a kernel — a HyperLogLog is folded straight from its sparse or
 * dense bytes into one register array (no validation loop over 4 096 registers, no array per state), and its
 * estimate is computed from the registers' histogram, over the set registers only while few are set — and every
 * other field (counts, sums, quantile sketches, a user's own aggregator) goes through its own codec and `plus`,
 * so the answer is the same as the aggregator's for any state.
 *
 * Values are rendered as JSON in field order, with distinct counts (HyperLogLog fields) rounded to integers unless
 * the raw estimate is asked for.
 */
import {
  type Aggregator,
  type ErrorBound,
  estimateCardinality,
  type HyperLogLogState,
  hyperLogLogCodec,
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
  /** Merges the field's codec bytes. */
  addBytes(bytes: Uint8Array): void;
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

  addBytes(bytes: Uint8Array): void {
    this.addState(this.#aggregator.codec.deserialize(bytes));
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

  constructor(precision: number, aggregator: AnyAggregator) {
    this.#precision = precision;
    this.#registers = new Uint8Array(2 ** precision);
    this.#histogram = new Float64Array(64 - precision + 2);
    this.#set = new Uint32Array(this.#registers.length >>> 3);
    this.#fallback = aggregator;
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

  addBytes(bytes: Uint8Array): void {
    const m = this.#registers.length;
    if (bytes[0] !== HLL_TAG || bytes[1] !== 1 || bytes[2] !== this.#precision || bytes.length < 4) {
      // Another version or precision: the codec decides (and fails on a precision it cannot merge).
      this.addState(hyperLogLogCodec.deserialize(bytes));
      return;
    }
    const maxRank = 65 - this.#precision;
    if (bytes[3] === 0) {
      if (bytes.length !== 4 + m) throw new RangeError('HyperLogLog state: wrong dense length');
      const registers = this.#registers;
      if (this.#sparse) {
        for (let index = 0; index < m; index++) {
          const rank = bytes[4 + index] as number;
          if (rank > (registers[index] as number)) this.#raise(index, rank);
        }
      } else {
        for (let index = 0; index < m; index++) {
          const rank = bytes[4 + index] as number;
          if (rank > (registers[index] as number)) registers[index] = rank;
        }
      }
      return;
    }
    if (bytes[3] !== 1) {
      this.addState(hyperLogLogCodec.deserialize(bytes));
      return;
    }
    const cursor = { offset: 4 };
    const entries = readVarUint(bytes, cursor);
    let index = 0;
    for (let entry = 0; entry < entries; entry++) {
      index += readVarUint(bytes, cursor);
      const rank = bytes[cursor.offset++];
      if (rank === undefined || index >= m || rank > maxRank)
        throw new RangeError('HyperLogLog state: bad register');
      this.#raise(index, rank);
    }
    if (cursor.offset !== bytes.length) throw new RangeError('HyperLogLog state: trailing bytes');
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
    this.addBytes(hyperLogLogCodec.serialize(state as HyperLogLogState));
  }

  state(): HyperLogLogState {
    return { precision: this.#precision, registers: this.#registers.slice() } as HyperLogLogState;
  }

  present(): number {
    const m = this.#registers.length;
    if (!this.#sparse) {
      return estimateCardinality({
        precision: this.#precision,
        registers: this.#registers,
      } as HyperLogLogState);
    }
    const histogram = this.#histogram;
    histogram.fill(0);
    histogram[0] = m - this.#setCount;
    for (let index = 0; index < this.#setCount; index++) {
      const rank = this.#registers[this.#set[index] as number] as number;
      histogram[rank] = (histogram[rank] ?? 0) + 1;
    }
    return estimateFromHistogram(histogram, m, 64 - this.#precision);
  }
}

function fieldAccumulator(aggregator: AnyAggregator): FieldAccumulator {
  const precision = aggregator.parameters?.precision;
  if (aggregator.codec === hyperLogLogCodec && typeof precision === 'number' && Number.isInteger(precision)) {
    return new HyperLogLogField(precision, aggregator);
  }
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
          (this.#fields[field] as FieldAccumulator).addBytes(bytes.subarray(start, start + length));
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
