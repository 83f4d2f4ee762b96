/**
 * The `from`/`to` query parameters: ISO-8601 times, inclusive-exclusive, both optional. Read with the strict
 * parser of `@oxbow/views` (the one event times go through): an impossible date (`2026-02-30`) is refused, never
 * rolled over, and a time must name its zone, so a query means the same instant on every server.
 */
import { parseIsoTimestamp } from '@oxbow/views';
import { ServingError } from './errors.ts';

/** An ISO-8601 date or date-time, as the route schemas accept it (checked again by {@link parseTimeRange}). */
export const ISO_8601_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})?)?$';

/** The forms accepted, split into parts so they can be written in the strict parser's one form. */
const LOOSE_TIME = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Query times before this year are refused (they mean nothing for events, and two-digit years are ambiguous). */
const EARLIEST_YEAR = 1970;

/** A parsed query range: bounds in epoch ms (absent = unbounded) and their normalised ISO text. */
export interface TimeRange {
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
  readonly from: string | null;
  readonly to: string | null;
}

const EXAMPLE = 'e.g. 2026-11-24, 2026-11-24T13:00:00Z or 2026-11-24T14:00:00+01:00';

/**
 * The epoch ms of one query time: `YYYY-MM-DD` (midnight UTC), or a date-time with seconds optional and a zone
 * (`Z`, `±hh:mm`, `±hhmm`) required. Throws `OXBOW_BAD_REQUEST` naming the parameter otherwise.
 */
export function parseQueryTime(name: string, text: string): number {
  const match = LOOSE_TIME.exec(text);
  if (match === null) {
    throw new ServingError('OXBOW_BAD_REQUEST', `${name} "${text}" is not an ISO-8601 time (${EXAMPLE})`);
  }
  const [, date, hourMinute, seconds, zone] = match;
  if (hourMinute !== undefined && zone === undefined) {
    throw new ServingError(
      'OXBOW_BAD_REQUEST',
      `${name} "${text}" is not an ISO-8601 time with a zone: add Z or an offset such as +01:00 (a time without one would depend on the server's time zone)`,
    );
  }
  const offset = zone === undefined || zone === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const strict = `${date}T${hourMinute ?? '00:00'}${seconds ?? ':00'}${offset}`;
  const ms = parseIsoTimestamp(strict);
  if (ms === undefined) {
    throw new ServingError(
      'OXBOW_BAD_REQUEST',
      `${name} "${text}" is not an ISO-8601 time: no such date or time of day (${EXAMPLE})`,
    );
  }
  if (Number(text.slice(0, 4)) < EARLIEST_YEAR) {
    throw new ServingError('OXBOW_BAD_REQUEST', `${name} "${text}" is before ${EARLIEST_YEAR}`);
  }
  return ms;
}

/**
 * Parses `from`/`to` and checks `from ≤ to` and that the range is at most `maxRangeMs` long: with both bounds,
 * `to − from`; with `from` only (the range ends now), `now − from`; `to` alone spans all earlier time and is
 * refused (give `from` too, or neither for all time).
 *
 * @example
 * parseTimeRange('2026-11-24T00:00:00Z', '2026-11-25T00:00:00Z', 366 * 86_400_000).fromMs; // 1795478400000
 */
export function parseTimeRange(
  from: string | undefined,
  to: string | undefined,
  maxRangeMs: number,
  now: number = Date.now(),
): TimeRange {
  const fromMs = from === undefined ? undefined : parseQueryTime('from', from);
  const toMs = to === undefined ? undefined : parseQueryTime('to', to);
  const days = maxRangeMs / 86_400_000;
  if (fromMs !== undefined && toMs !== undefined) {
    if (fromMs > toMs) throw new ServingError('OXBOW_BAD_REQUEST', `from (${from}) is after to (${to})`);
    if (toMs - fromMs > maxRangeMs) {
      throw new ServingError(
        'OXBOW_BAD_REQUEST',
        `range ${from} .. ${to} is longer than the maximum of ${days} days`,
      );
    }
  } else if (fromMs !== undefined) {
    if (now - fromMs > maxRangeMs) {
      throw new ServingError(
        'OXBOW_BAD_REQUEST',
        `range ${from} .. now is longer than the maximum of ${days} days: give to as well`,
      );
    }
  } else if (toMs !== undefined) {
    throw new ServingError(
      'OXBOW_BAD_REQUEST',
      `to (${to}) without from spans all earlier time: give from as well (at most ${days} days before to), or neither for all time`,
    );
  }
  return {
    fromMs,
    toMs,
    from: fromMs === undefined ? null : new Date(fromMs).toISOString(),
    to: toMs === undefined ? null : new Date(toMs).toISOString(),
  };
}
