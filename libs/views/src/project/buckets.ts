/**
 * Bucket lengths of views: `'1m'`, `'5m'`, `'1h'`, `'1d'` (any `<n>s|m|h|d`) or milliseconds, dividing a day.
 */
import { ViewsError } from '../errors.ts';

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS };

/** A bucket length: `'1m'`, `'5m'`, `'1h'`, `'1d'`, another `<n><s|m|h|d>`, or milliseconds. */
export type BucketLength = '1m' | '5m' | '1h' | '1d' | (string & {}) | number;

/**
 * The bucket length in milliseconds; throws `OXBOW_INVALID_PROJECT` unless it is a positive whole number of
 * milliseconds that divides a day (so buckets align with UTC days).
 *
 * @example
 * ```ts
 * bucketMsOf('5m'); // 300_000
 * bucketMsOf(3_600_000); // 3_600_000
 * bucketMsOf('7m'); // throws: 7 minutes do not divide a day
 * ```
 */
export function bucketMsOf(bucket: BucketLength, where = 'bucket'): number {
  let ms: number | undefined;
  if (typeof bucket === 'number') ms = bucket;
  else {
    const match = /^(\d{1,6})(s|m|h|d)$/.exec(bucket);
    if (match !== null) ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  const shown = typeof bucket === 'number' ? String(bucket) : JSON.stringify(bucket);
  if (ms === undefined || !Number.isSafeInteger(ms) || ms <= 0) {
    throw new ViewsError(
      'OXBOW_INVALID_PROJECT',
      `${where}: ${shown} is not a bucket length ('1m', '5m', '1h', '1d' or milliseconds)`,
    );
  }
  if (DAY_MS % ms !== 0) {
    throw new ViewsError(
      'OXBOW_INVALID_PROJECT',
      `${where}: ${shown} (${ms} ms) does not divide a day, so buckets would not align with days`,
    );
  }
  return ms;
}

/**
 * The start of the `bucketMs`-long bucket holding `tsMs` (buckets are aligned to the Unix epoch).
 *
 * @example
 * ```ts
 * bucketStart(Date.parse('2026-11-24T13:05:12Z'), 3_600_000); // Date.parse('2026-11-24T13:00:00Z')
 * ```
 */
export function bucketStart(tsMs: number, bucketMs: number): number {
  return tsMs - (((tsMs % bucketMs) + bucketMs) % bucketMs);
}
