/**
 * Sums: the bare `sumMonoid` (a group over numbers) and the `sum` aggregator.
 */
import type { Group, GroupAggregator } from './algebra.ts';
import { FORMAT_TAGS, numberCodec } from './binary.ts';
import { isCountableNumber, type NumericInput } from './values.ts';

/**
 * Addition of numbers: a commutative group with zero `0`. Exactly associative on integers below
 * 2^53; on fractions, up to floating-point rounding.
 *
 * @example
 * ```ts
 * rdd.reduceByKey(sumMonoid.plus);
 * ```
 */
export const sumMonoid: Group<number> = {
  zero: 0,
  plus: (left, right) => left + right,
  negate: (value) => (value === 0 ? 0 : -value),
  minus: (left, right) => left - right,
};

const sumCodec = numberCodec(FORMAT_TAGS.sum, 'sum state');

/**
 * The sum of `extract(input)` over all inputs; `null`, `undefined`, `NaN` and `±Infinity` are
 * skipped, so the result is never `NaN`. Empty input sums to `0`. A group (for inverse windows).
 *
 * @example
 * ```ts
 * aggregate(sum((e: { bytes: number }) => e.bytes), events);
 * ```
 */
export function sum<In>(extract: (input: In) => NumericInput): GroupAggregator<In, number, number> {
  return {
    kind: 'sum',
    inputs: [extract],
    commutative: true,
    approximate: false,
    errorBound: { kind: 'exact' },
    codec: sumCodec,
    zero: 0,
    plus: sumMonoid.plus,
    negate: sumMonoid.negate,
    minus: sumMonoid.minus,
    prepare(input) {
      const value = extract(input);
      return isCountableNumber(value) ? 0 + value : 0; // 0 + (−0) is 0, as in append
    },
    append(state, input) {
      const value = extract(input);
      return isCountableNumber(value) ? state + value : state;
    },
    present: (state) => state,
  };
}
