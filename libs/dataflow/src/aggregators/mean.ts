/**
 * The arithmetic mean, kept as a (sum, count) pair so partial means merge exactly.
 */
import type { Group, GroupAggregator } from './algebra.ts';
import { ByteReader, ByteWriter, FORMAT_TAGS } from './binary.ts';
import { isCountableNumber, type NumericInput } from './values.ts';

/** The state of {@link mean}: the sum and the number of values seen. */
export interface MeanState {
  readonly sum: number;
  readonly count: number;
}

const EMPTY_MEAN: MeanState = Object.freeze({ sum: 0, count: 0 });

/**
 * Field-wise addition of (sum, count) pairs: a commutative group with zero `{ sum: 0, count: 0 }`.
 *
 * @example
 * ```ts
 * rdd.mapValues((ms) => ({ sum: ms, count: 1 })).reduceByKey(meanMonoid.plus);
 * ```
 */
export const meanMonoid: Group<MeanState> = {
  zero: EMPTY_MEAN,
  plus: (left, right) => ({ sum: left.sum + right.sum, count: left.count + right.count }),
  negate: (value) => ({ sum: value.sum === 0 ? 0 : -value.sum, count: value.count === 0 ? 0 : -value.count }),
  minus: (left, right) => ({ sum: left.sum - right.sum, count: left.count - right.count }),
};

const meanCodec = {
  serialize(value: MeanState): Uint8Array {
    return new ByteWriter(24).byte(FORMAT_TAGS.mean).byte(1).number(value.sum).number(value.count).finish();
  },
  deserialize(bytes: Uint8Array): MeanState {
    const reader = new ByteReader(bytes, 'mean state');
    reader.header(FORMAT_TAGS.mean, 1);
    const sum = reader.number();
    const count = reader.number();
    reader.end();
    return { sum, count };
  },
};

/**
 * The mean of `extract(input)`, or `undefined` when no value was seen; `null`, `undefined`, `NaN` and
 * `±Infinity` are skipped. A group (for inverse windows).
 *
 * @example
 * ```ts
 * aggregate(mean((e: { latencyMs: number }) => e.latencyMs), events); // e.g. 12.5
 * ```
 */
export function mean<In>(
  extract: (input: In) => NumericInput,
): GroupAggregator<In, MeanState, number | undefined> {
  return {
    kind: 'mean',
    inputs: [extract],
    commutative: true,
    approximate: false,
    errorBound: { kind: 'exact' },
    codec: meanCodec,
    zero: EMPTY_MEAN,
    plus: meanMonoid.plus,
    negate: meanMonoid.negate,
    minus: meanMonoid.minus,
    prepare(input) {
      const value = extract(input);
      return isCountableNumber(value) ? { sum: 0 + value, count: 1 } : EMPTY_MEAN; // 0 + (−0) is 0, as in append
    },
    append(state, input) {
      const value = extract(input);
      return isCountableNumber(value) ? { sum: state.sum + value, count: state.count + 1 } : state;
    },
    present: (state) => (state.count === 0 ? undefined : state.sum / state.count),
  };
}
