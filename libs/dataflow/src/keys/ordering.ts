/**
 * The natural ordering of keys, used by `sortByKey`, `sortBy`, `top`, `takeOrdered`, `max` and `min` when no
 * comparator is given: numbers numerically, strings by UTF-16 code units (as Java's `String.compareTo`),
 * booleans false < true, bigints numerically, dates by time, arrays lexicographically. Values of different
 * kinds order by kind: undefined < null < boolean < number/bigint < string < date < array < object.
 */

/** A comparator: negative when `a < b`, zero when equal, positive when `a > b`. */
export type Comparator<T> = (a: T, b: T) => number;

function kindRank(value: unknown): number {
  if (value === undefined) return 0;
  if (value === null) return 1;
  switch (typeof value) {
    case 'boolean':
      return 2;
    case 'number':
    case 'bigint':
      return 3;
    case 'string':
      return 4;
    default:
      if (value instanceof Date) return 5;
      if (Array.isArray(value)) return 6;
      return 7;
  }
}

/** Compares two values by their natural ordering. */
export function naturalCompare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a < b) return -1;
    if (a > b) return 1;
    if (a === b) return 0;
    return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1; // NaN sorts last, as Java's Double.compare
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const rankA = kindRank(a);
  const rankB = kindRank(b);
  if (rankA !== rankB) return rankA - rankB;
  switch (rankA) {
    case 2:
      return Number(a) - Number(b);
    case 3:
      return (a as number | bigint) < (b as number | bigint)
        ? -1
        : (a as number | bigint) > (b as number | bigint)
          ? 1
          : 0;
    case 5:
      return (a as Date).getTime() - (b as Date).getTime();
    case 6: {
      const left = a as unknown[];
      const right = b as unknown[];
      const length = Math.min(left.length, right.length);
      for (let i = 0; i < length; i++) {
        const c = naturalCompare(left[i], right[i]);
        if (c !== 0) return c;
      }
      return left.length - right.length;
    }
    case 7: {
      const left = JSON.stringify(a);
      const right = JSON.stringify(b);
      return left < right ? -1 : left > right ? 1 : 0;
    }
    default:
      return 0;
  }
}
