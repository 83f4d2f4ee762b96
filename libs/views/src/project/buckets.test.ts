import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ViewsError } from '../errors.ts';
import { bucketMsOf, bucketStart, DAY_MS } from './buckets.ts';

describe('bucketMsOf', () => {
  it('reads <n>s|m|h|d and milliseconds', () => {
    expect(bucketMsOf('1m')).toBe(60_000);
    expect(bucketMsOf('5m')).toBe(300_000);
    expect(bucketMsOf('1h')).toBe(3_600_000);
    expect(bucketMsOf('1d')).toBe(DAY_MS);
    expect(bucketMsOf('24h')).toBe(DAY_MS);
    expect(bucketMsOf('30s')).toBe(30_000);
    expect(bucketMsOf('15m')).toBe(900_000);
    expect(bucketMsOf(3_600_000)).toBe(3_600_000);
    expect(bucketMsOf(1)).toBe(1);
  });

  it('accepts exactly the whole numbers of milliseconds that divide a day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 * DAY_MS }), (ms) => {
        if (DAY_MS % ms === 0) expect(bucketMsOf(ms)).toBe(ms);
        else expect(() => bucketMsOf(ms)).toThrow(/does not divide a day/);
      }),
    );
  });

  it.each([
    ['7m', /"7m" \(420000 ms\) does not divide a day, so buckets would not align with days/],
    ['2d', /"2d" \(172800000 ms\) does not divide a day/],
    ['7s', /does not divide a day/],
    [7_000_000, /7000000 \(7000000 ms\) does not divide a day/],
    ['0m', /"0m" is not a bucket length \('1m', '5m', '1h', '1d' or milliseconds\)/],
    ['1.5h', /"1\.5h" is not a bucket length/],
    ['1 h', /is not a bucket length/],
    ['1w', /is not a bucket length/],
    ['', /"" is not a bucket length/],
    [0, /0 is not a bucket length/],
    [-60_000, /-60000 is not a bucket length/],
    [1.5, /1\.5 is not a bucket length/],
    [Number.NaN, /NaN is not a bucket length/],
  ])('refuses %s', (bucket, message) => {
    expect(() => bucketMsOf(bucket)).toThrow(message);
    try {
      bucketMsOf(bucket, 'view "v": bucket');
    } catch (error) {
      expect(ViewsError.is(error, 'OXBOW_INVALID_PROJECT')).toBe(true);
      expect((error as Error).message).toMatch(/^view "v": bucket: /);
    }
  });
});

describe('bucketStart', () => {
  it('is the largest multiple of the bucket length not after the time, before 1970 too', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e13, max: 1e13 }),
        fc.constantFrom(1000, 60_000, 300_000, 3_600_000, DAY_MS),
        (ts, ms) => {
          const start = bucketStart(ts, ms);
          expect(start % ms === 0).toBe(true);
          expect(start <= ts && ts < start + ms).toBe(true);
        },
      ),
    );
    expect(bucketStart(Date.parse('2026-11-24T23:59:59.999Z'), DAY_MS)).toBe(
      Date.parse('2026-11-24T00:00:00Z'),
    );
    expect(bucketStart(-1, 60_000)).toBe(-60_000);
  });
});
