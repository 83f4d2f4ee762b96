import { describe, expect, it } from 'vitest';
import { httpStatusOf, ServingError } from './errors.ts';
import { parseTimeRange } from './time-range.ts';

const DAY = 86_400_000;

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
  });

  it.each([
    ['yesterday', undefined, /from "yesterday" is not an ISO-8601 time/],
    [undefined, '2026-02-30T25:00:00Z', /to "2026-02-30T25:00:00Z" is not an ISO-8601 time/],
    ['2026-11-25', '2026-11-24', /from \(2026-11-25\) is after to \(2026-11-24\)/],
    ['2026-11-20', '2026-11-24', /longer than the maximum of 1 days/],
  ])('rejects from=%s to=%s', (from, to, message) => {
    expect(() => parseTimeRange(from, to, DAY)).toThrow(message);
    try {
      parseTimeRange(from, to, DAY);
    } catch (error) {
      expect(ServingError.is(error, 'OXBOW_BAD_REQUEST')).toBe(true);
      expect(httpStatusOf(error as ServingError)).toBe(400);
    }
  });
});
