/**
 * The `from`/`to` query parameters: ISO-8601 times, inclusive-exclusive, both optional.
 */
import { ServingError } from './errors.ts';

/** An ISO-8601 date or date-time, as the route schemas accept it (checked again by {@link parseTimeRange}). */
export const ISO_8601_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})?)?$';

/** A parsed query range: bounds in epoch ms (absent = unbounded) and their normalised ISO text. */
export interface TimeRange {
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
  readonly from: string | null;
  readonly to: string | null;
}

function parseTime(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = new RegExp(ISO_8601_PATTERN).test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new ServingError(
      'OXBOW_BAD_REQUEST',
      `${name} "${text}" is not an ISO-8601 time (e.g. 2026-11-24T13:00:00Z)`,
    );
  }
  return ms;
}

/**
 * Parses `from`/`to` and checks `from ≤ to` and, when both are given, `to − from ≤ maxRangeMs`.
 *
 * @example
 * parseTimeRange('2026-11-24T00:00:00Z', '2026-11-25T00:00:00Z', 366 * 86_400_000).fromMs; // 1795478400000
 */
export function parseTimeRange(
  from: string | undefined,
  to: string | undefined,
  maxRangeMs: number,
): TimeRange {
  const fromMs = parseTime('from', from);
  const toMs = parseTime('to', to);
  if (fromMs !== undefined && toMs !== undefined) {
    if (fromMs > toMs) throw new ServingError('OXBOW_BAD_REQUEST', `from (${from}) is after to (${to})`);
    if (toMs - fromMs > maxRangeMs) {
      throw new ServingError(
        'OXBOW_BAD_REQUEST',
        `range ${from} .. ${to} is longer than the maximum of ${maxRangeMs / 86_400_000} days`,
      );
    }
  }
  return {
    fromMs,
    toMs,
    from: fromMs === undefined ? null : new Date(fromMs).toISOString(),
    to: toMs === undefined ? null : new Date(toMs).toISOString(),
  };
}
