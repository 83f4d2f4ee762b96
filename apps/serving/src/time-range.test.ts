import { describe, expect, it } from 'vitest';
import { httpStatusOf, ServingError } from './errors.ts';
import { parseTimeRange } from './time-range.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-24T12:00:00Z');

describe('parseTimeRange', () => {
  it('parses ISO-8601 dates and times, both optional', () => {
    expect(parseTimeRange(undefined, undefined, DAY)).toEqual({
      fromMs: undefined,
      toMs: undefined,
      from: null,
      to: null,
    });
    const range = parseTimeRange('2026-11-24', '2026-11-24T12:00:00+01:00', DAY);
    expect(range.fromMs).toBe(Date.parse('2026-11-24T00:00:00Z'));
    expect(range.to).toBe('2026-11-24T11:00:00.000Z');
    // Seconds are optional, an offset may leave out its colon, and from alone is within the cap of now.
    expect(parseTimeRange('2026-11-24T01:30+0100', undefined, DAY, NOW).from).toBe(
      '2026-11-24T00:30:00.000Z',
    );
    expect(parseTimeRange('2026-11-24T11:59:59.999Z', '2026-11-24T12:00Z', DAY).toMs).toBe(NOW);
  });

  it.each([
    ['yesterday', undefined, /from "yesterday" is not an ISO-8601 time/],
    [undefined, '2026-02-30T25:00:00Z', /to "2026-02-30T25:00:00Z" is not an ISO-8601 time/],
    ['2026-11-25', '2026-11-24', /from \(2026-11-25\) is after to \(2026-11-24\)/],
    ['2026-11-20', '2026-11-24', /longer than the maximum of 1 days/],
    ['2026-02-30', undefined, /from "2026-02-30" is not an ISO-8601 time: no such date/],
    ['2026-02-29T00:00:00Z', undefined, /no such date/],
    ['2026-11-24T24:00:00Z', undefined, /no such date or time of day/],
    ['2026-11-24T13:00:00', undefined, /with a zone: add Z or an offset such as \+01:00/],
    ['2026-11-24T13:00', undefined, /with a zone/],
    ['2026-11-24T13:00:00+24:00', undefined, /no such date or time/],
    ['0050-01-01', '0050-01-02', /from "0050-01-01" is before 1970/],
    // One bound still obeys the cap: from alone ends now; to alone spans all earlier time.
    [
      '2026-11-20T00:00:00Z',
      undefined,
      /range 2026-11-20T00:00:00Z \.\. now is longer than the maximum of 1 days/,
    ],
    [undefined, '2026-11-24', /to \(2026-11-24\) without from spans all earlier time/],
  ])('rejects from=%s to=%s', (from, to, message) => {
    expect(() => parseTimeRange(from, to, DAY, NOW)).toThrow(message);
    try {
      parseTimeRange(from, to, DAY, NOW);
    } catch (error) {
      expect(ServingError.is(error, 'OXBOW_BAD_REQUEST')).toBe(true);
      expect(httpStatusOf(error as ServingError)).toBe(400);
    }
  });
});
