/**
 * Minimum and maximum: bare monoids over numbers (zero `+Infinity` / `-Infinity`) and aggregators
 * that present `undefined` for empty input.
 */
import type { Aggregator, Monoid } from './algebra.ts';
import { FORMAT_TAGS, numberCodec } from './binary.ts';
import { isCountableNumber, type NumericInput } from './values.ts';

/**
 * The smaller of two numbers; zero is `+Infinity`.
 *
 * @example
 * ```ts
 * rdd.reduceByKey(minMonoid.plus);
 * ```
 */
export const minMonoid: Monoid<number> = {
  zero: Number.POSITIVE_INFINITY,
  plus: (left, right) => Math.min(right, left),
};

/**
 * The larger of two numbers; zero is `-Infinity`.
 *
 * @example
 * ```ts
 * rdd.reduceByKey(maxMonoid.plus);
 * ```
 */
export const maxMonoid: Monoid<number> = {
  zero: Number.NEGATIVE_INFINITY,
  plus: (left, right) => Math.max(right, left),
};

const minCodec = numberCodec(FORMAT_TAGS.min, 'min state');
const maxCodec = numberCodec(FORMAT_TAGS.max, 'max state');

function extreme<In>(
  kind: 'min' | 'max',
  monoid: Monoid<number>,
  extract: (input: In) => NumericInput,
): Aggregator<In, number, number | undefined> {
  return {
    kind,
    inputs: [extract],
    commutative: true,
    approximate: false,
    errorBound: { kind: 'exact' },
    codec: kind === 'min' ? minCodec : maxCodec,
    zero: monoid.zero,
    plus: monoid.plus,
    prepare(input) {
      const value = extract(input);
      return isCountableNumber(value) ? value : monoid.zero;
    },
    append(state, input) {
      const value = extract(input);
      return isCountableNumber(value) ? monoid.plus(state, value) : state;
    },
    // Non-finite inputs are skipped, so an infinite state can only be the zero: no input seen.
    present: (state) => (Number.isFinite(state) ? state : undefined),
  };
}

/**
 * The smallest `extract(input)`, or `undefined` when there is none; `null`, `undefined`, `NaN` and
 * `±Infinity` are skipped. The state is a number (`+Infinity` when empty).
 *
 * @example
 * ```ts
 * aggregate(min((e: { latencyMs: number }) => e.latencyMs), events);
 * ```
 */
export function min<In>(extract: (input: In) => NumericInput): Aggregator<In, number, number | undefined> {
  return extreme('min', minMonoid, extract);
}

/**
 * The largest `extract(input)`, or `undefined` when there is none; skips missing values like {@link min}.
 * The state is a number (`-Infinity` when empty).
 *
 * @example
 * ```ts
 * aggregate(max((e: { latencyMs: number }) => e.latencyMs), events);
 * ```
 */
export function max<In>(extract: (input: In) => NumericInput): Aggregator<In, number, number | undefined> {
  return extreme('max', maxMonoid, extract);
}
