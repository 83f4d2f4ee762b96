/**
 * The value types aggregators accept, and the rules for missing values.
 */

/** A value that sets, HyperLogLog and top-K can hash, order and encode. */
export type HashableValue = string | number | bigint | boolean;

/** What numeric extractors may return; `null`/`undefined` mean "no value" and are skipped. */
export type NumericInput = number | null | undefined;

/** What key extractors may return; `null`/`undefined` (and `NaN`) are skipped. */
export type HashableInput = HashableValue | null | undefined;

/**
 * True for the numbers numeric aggregators fold: finite numbers. `null`, `undefined`, `NaN` and
 * `±Infinity` are skipped, so a result is never `NaN`.
 */
export function isCountableNumber(value: NumericInput): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** True for values sets, sketches and top-K fold: anything hashable except `NaN`. */
export function isHashable(value: HashableInput): value is HashableValue {
  if (value === null || value === undefined) return false;
  return typeof value !== 'number' || !Number.isNaN(value);
}

/** Normalises `-0` to `0` so equal keys hash, sort and encode alike. */
export function canonicalValue(value: HashableValue): HashableValue {
  return value === 0 ? 0 : value;
}

function typeRank(value: HashableValue): number {
  switch (typeof value) {
    case 'boolean':
      return 0;
    case 'number':
      return 1;
    case 'bigint':
      return 2;
    default:
      return 3;
  }
}

/**
 * A total order on hashable values: booleans, then numbers, then bigints, then strings (by UTF-16
 * code units); used to make encodings and tie-breaks deterministic.
 */
export function compareValues(left: HashableValue, right: HashableValue): number {
  const byType = typeRank(left) - typeRank(right);
  if (byType !== 0) return byType;
  if (left === right) return 0;
  return left < right ? -1 : 1;
}
