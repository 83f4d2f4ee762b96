/**
 * Counting inputs (optionally only those matching a predicate).
 */
import type { GroupAggregator } from './algebra.ts';
import { FORMAT_TAGS, numberCodec } from './binary.ts';
import { sumMonoid } from './sum.ts';

const countCodec = numberCodec(FORMAT_TAGS.count, 'count state');

/**
 * The number of inputs, or of inputs for which `predicate` holds. A group (for inverse windows);
 * exact up to 2^53 inputs.
 *
 * @example
 * ```ts
 * const errors = count((e: { status: number }) => e.status >= 500);
 * ```
 */
export function count<In = unknown>(predicate?: (input: In) => boolean): GroupAggregator<In, number, number> {
  return {
    kind: 'count',
    commutative: true,
    approximate: false,
    errorBound: { kind: 'exact' },
    codec: countCodec,
    ...(predicate === undefined ? {} : { inputs: [predicate] }),
    zero: 0,
    plus: sumMonoid.plus,
    negate: sumMonoid.negate,
    minus: sumMonoid.minus,
    prepare: (input) => (predicate === undefined || predicate(input) ? 1 : 0),
    append: (state, input) => (predicate === undefined || predicate(input) ? state + 1 : state),
    present: (state) => state,
  };
}
