/**
 * HyperLogLog distinct counting (Flajolet et al. 2007) with Ertl's improved estimator (2017), which
 * is unbiased from 0 to billions without empirical bias tables.
 *
 * Each value is hashed with the deterministic {@link hash64}; the top `precision` bits choose one of
 * m = 2^precision registers, which keeps the largest "position of the first 1-bit" of the remaining
 * 64 − precision bits. Merging takes the register-wise maximum, so merged states are bit-identical
 * whatever the split of the data. Relative standard error ≈ 1.04/√m (0.81 % at the default
 * precision 14, using 16 KiB per state; 2 % at 11, 0.41 % at 16).
 */
import { DataflowError } from '../errors.ts';
import type { Aggregator, Codec, Monoid } from './algebra.ts';
import { ByteReader, ByteWriter, FORMAT_TAGS } from './binary.ts';
import { type Hash64, hash64 } from './hash.ts';
import { type HashableInput, type HashableValue, isHashable } from './values.ts';

/** A HyperLogLog state: its precision and m = 2^precision registers. */
export interface HyperLogLogState {
  readonly precision: number;
  readonly registers: Uint8Array;
}

/** Options of {@link hyperLogLog}. */
export interface HyperLogLogOptions {
  /** log2 of the register count, 4–18 (default 14: 16384 registers, standard error 0.81 %). */
  readonly precision?: number;
}

/** The smallest and largest precisions accepted. */
export const HYPERLOGLOG_PRECISION_RANGE = { min: 4, max: 18 } as const;
const DEFAULT_PRECISION = 14;

function checkPrecision(precision: number): void {
  if (
    !Number.isInteger(precision) ||
    precision < HYPERLOGLOG_PRECISION_RANGE.min ||
    precision > HYPERLOGLOG_PRECISION_RANGE.max
  ) {
    throw new DataflowError(
      'OXBOW_INVALID_ARGUMENT',
      `HyperLogLog precision must be an integer from 4 to 18, got ${precision}`,
    );
  }
}

/** The relative standard error 1.04/√m of a HyperLogLog with m = 2^precision registers. */
export function hyperLogLogStandardError(precision: number): number {
  return 1.04 / Math.sqrt(2 ** precision);
}

/** A fresh, empty HyperLogLog state. */
export function emptyHyperLogLog(precision = DEFAULT_PRECISION): HyperLogLogState {
  checkPrecision(precision);
  return { precision, registers: new Uint8Array(2 ** precision) };
}

const scratchHash: Hash64 = { high: 0, low: 0 };

/**
 * Adds `value` to `state` in place (the caller must own `state`) and returns it.
 *
 * @example
 * ```ts
 * const state = addToHyperLogLog(emptyHyperLogLog(12), 'user-1');
 * ```
 */
export function addToHyperLogLog(state: HyperLogLogState, value: HashableValue): HyperLogLogState {
  const { precision, registers } = state;
  const { high, low } = hash64(value, scratchHash);
  const index = high >>> (32 - precision);
  const rest = high << precision; // remaining 32 − precision bits of `high`, left-aligned
  const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - precision + Math.clz32(low) + 1;
  if (rank > (registers[index] ?? 0)) registers[index] = rank;
  return state;
}

function checkSamePrecision(left: HyperLogLogState, right: HyperLogLogState): void {
  if (left.precision !== right.precision) {
    throw new DataflowError(
      'OXBOW_INVALID_ARGUMENT',
      `cannot merge HyperLogLog states of precision ${left.precision} and ${right.precision}`,
    );
  }
}

/**
 * Register-wise maximum: a commutative, idempotent monoid over HyperLogLog states of one precision.
 * `plus` returns a new state; merging states of different precisions throws `OXBOW_INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * const hll = hyperLogLogMonoid(14);
 * hll.plus(hll.zero, state);
 * ```
 */
export function hyperLogLogMonoid(precision = DEFAULT_PRECISION): Monoid<HyperLogLogState> {
  checkPrecision(precision);
  return {
    get zero() {
      return emptyHyperLogLog(precision);
    },
    plus(left, right) {
      checkSamePrecision(left, right);
      const merged = new Uint8Array(left.registers.length);
      for (let index = 0; index < merged.length; index++) {
        const a = left.registers[index] ?? 0;
        const b = right.registers[index] ?? 0;
        merged[index] = Math.max(a, b);
      }
      return { precision: left.precision, registers: merged };
    },
  };
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
 * The estimated number of distinct values added to `state` (Ertl's improved raw estimator).
 *
 * @example
 * ```ts
 * estimateCardinality(state); // ≈ 100_000 ± 0.81 % (one standard error at precision 14)
 * ```
 */
export function estimateCardinality(state: HyperLogLogState): number {
  const m = state.registers.length;
  const q = 64 - state.precision;
  const histogram = new Array<number>(q + 2).fill(0);
  for (const register of state.registers) histogram[register] = (histogram[register] ?? 0) + 1;
  let z = m * tau((m - (histogram[q + 1] ?? 0)) / m);
  for (let k = q; k >= 1; k--) z = 0.5 * (z + (histogram[k] ?? 0));
  z += m * sigma((histogram[0] ?? 0) / m);
  return (m * m) / (2 * Math.LN2 * z);
}

const ENCODING_DENSE = 0;
const ENCODING_SPARSE = 1;

/**
 * Bytes: `[0x07, 1, precision, encoding]`, then either all m registers (dense) or the non-zero
 * registers as (index delta varint, value) pairs (sparse), whichever is shorter.
 */
export const hyperLogLogCodec: Codec<HyperLogLogState> = {
  serialize(value) {
    let nonZero = 0;
    for (const register of value.registers) if (register !== 0) nonZero++;
    const writer = new ByteWriter(16).byte(FORMAT_TAGS.hyperLogLog).byte(1).byte(value.precision);
    // A sparse entry takes at most 4 bytes (3-byte delta for m ≤ 2^18, 1-byte value).
    if (nonZero * 4 < value.registers.length) {
      writer.byte(ENCODING_SPARSE).varuint(nonZero);
      let previous = 0;
      value.registers.forEach((register, index) => {
        if (register === 0) return;
        writer.varuint(index - previous).byte(register);
        previous = index;
      });
    } else {
      writer.byte(ENCODING_DENSE).raw(value.registers);
    }
    return writer.finish();
  },
  deserialize(bytes) {
    const reader = new ByteReader(bytes, 'HyperLogLog state');
    reader.header(FORMAT_TAGS.hyperLogLog, 1);
    const precision = reader.byte();
    if (precision < HYPERLOGLOG_PRECISION_RANGE.min || precision > HYPERLOGLOG_PRECISION_RANGE.max) {
      reader.fail(`precision ${precision} out of range`);
    }
    const registers = new Uint8Array(2 ** precision);
    const maxRank = 65 - precision;
    const encoding = reader.byte();
    if (encoding === ENCODING_DENSE) {
      registers.set(reader.raw(registers.length));
    } else if (encoding === ENCODING_SPARSE) {
      const nonZero = reader.varuint();
      let index = 0;
      for (let entry = 0; entry < nonZero; entry++) {
        const delta = reader.varuint();
        index += delta;
        const register = reader.byte();
        if ((entry > 0 && delta === 0) || index >= registers.length || register === 0) {
          reader.fail(`bad sparse register ${index}`);
        }
        registers[index] = register;
      }
    } else {
      reader.fail(`unknown register encoding ${encoding}`);
    }
    for (const register of registers)
      if (register > maxRank) reader.fail(`register value ${register} too large`);
    reader.end();
    return { precision, registers };
  },
};

/**
 * Estimates the number of distinct `extract(input)` values. `null`, `undefined` and `NaN` are
 * skipped; `-0` counts as `0`; `1`, `'1'`, `1n` and `true` are different values.
 *
 * Error bound: relative standard error 1.04/√m with m = 2^precision (0.81 % at the default 14), so
 * about 99.7 % of estimates fall within 3 standard errors. States of the same precision merge into
 * bit-identical registers whatever the split. State size: m bytes in memory; bytes on the wire are
 * sparse while few registers are set.
 *
 * @example
 * ```ts
 * const users = hyperLogLog((e: { userId: string }) => e.userId, { precision: 12 });
 * Math.round(aggregate(users, events)); // ≈ distinct users ± 1.6 %
 * ```
 */
export function hyperLogLog<In>(
  extract: (input: In) => HashableInput,
  options: HyperLogLogOptions = {},
): Aggregator<In, HyperLogLogState, number> {
  const precision = options.precision ?? DEFAULT_PRECISION;
  const monoid = hyperLogLogMonoid(precision);
  return {
    kind: 'hyperLogLog',
    inputs: [extract],
    parameters: { precision },
    commutative: true,
    approximate: true,
    errorBound: { kind: 'relative-standard-error', relative: hyperLogLogStandardError(precision) },
    codec: hyperLogLogCodec,
    get zero() {
      return emptyHyperLogLog(precision);
    },
    plus: monoid.plus,
    prepare(input) {
      const value = extract(input);
      const state = emptyHyperLogLog(precision);
      return isHashable(value) ? addToHyperLogLog(state, value) : state;
    },
    append(state, input) {
      const value = extract(input);
      if (!isHashable(value)) return state;
      if (state.precision !== precision) checkSamePrecision(emptyHyperLogLog(precision), state);
      return addToHyperLogLog(state, value);
    },
    present: estimateCardinality,
  };
}
