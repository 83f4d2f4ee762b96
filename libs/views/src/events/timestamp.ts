/**
 * Strict ISO-8601 (RFC 3339 profile) timestamps: `2026-11-24T13:05:12.345Z` or with a `±hh:mm` offset.
 * A time zone is required, so a timestamp means the same instant on every machine.
 */

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/** 2000-01-01T00:00:00Z: event times before it are rejected as absurd. */
export const EARLIEST_EVENT_MS = Date.UTC(2000, 0, 1);

/** How far after `now` an event time may be (clock skew allowance): one day. */
export const MAX_FUTURE_MS = 86_400_000;

/**
 * The epoch milliseconds of a strict ISO-8601 timestamp with a time zone, or `undefined` when `text` is not one
 * (wrong shape, month 13, February 30, hour 24, offset beyond ±23:59). Fractions below a millisecond are
 * truncated, as `Date.parse` does.
 *
 * @example
 * ```ts
 * parseIsoTimestamp('2026-11-24T13:05:12.345+01:00'); // 1795997112345
 * parseIsoTimestamp('2026-02-30T00:00:00Z'); // undefined
 * ```
 */
export function parseIsoTimestamp(text: string): number | undefined {
  const match = ISO_TIMESTAMP.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const dayStart = Date.UTC(year, month - 1, day);
  if (new Date(dayStart).getUTCDate() !== day) return undefined; // February 30 and friends
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  let offsetMs = 0;
  if (zulu === undefined) {
    const offsetHours = Number(oh);
    const offsetMinutes = Number(om);
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    offsetMs = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  }
  return dayStart + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offsetMs;
}
