import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIsoTimestamp } from './timestamp.ts';

describe('parseIsoTimestamp', () => {
  it('agrees with Date for every instant written as Z or with an offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (ms, offsetMinutes) => {
          expect(parseIsoTimestamp(new Date(ms).toISOString())).toBe(ms);
          const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(parseIsoTimestamp(`${local}${offset}`)).toBe(ms);
        },
      ),
    );
  });

  it('accepts 0 to 9 fraction digits, truncating below a millisecond', () => {
    expect(parseIsoTimestamp('2026-11-24T13:05:12Z')).toBe(Date.UTC(2026, 10, 24, 13, 5, 12));
    expect(parseIsoTimestamp('2026-11-24T13:05:12.5Z')).toBe(Date.UTC(2026, 10, 24, 13, 5, 12, 500));
    expect(parseIsoTimestamp('2026-11-24T13:05:12.123999999Z')).toBe(Date.UTC(2026, 10, 24, 13, 5, 12, 123));
  });

  it.each([
    '2026-11-24',
    '2026-11-24T13:05:12',
    '2026-11-24 13:05:12Z',
    '2026-13-01T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-11-24T24:00:00Z',
    '2026-11-24T12:60:00Z',
    '2026-11-24T12:00:60Z',
    '2026-11-24T12:00:00+24:00',
    '2026-11-24T12:00:00.Z',
    '1795957200000',
    'yesterday',
  ])('rejects %s', (text) => {
    expect(parseIsoTimestamp(text)).toBeUndefined();
  });

  it('accepts February 29 of a leap year', () => {
    expect(parseIsoTimestamp('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
  });
});
