import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketPart, watermarkTimeMs } from './parts.ts';

describe('bucketPart', () => {
  it('is batch before the watermark, realtime after it, both across it', () => {
    expect(bucketPart(0, 3_600_000, 7_200_000)).toBe('batch');
    expect(bucketPart(3_600_000, 3_600_000, 7_200_000)).toBe('batch');
    expect(bucketPart(7_200_000, 3_600_000, 7_200_000)).toBe('realtime');
    expect(bucketPart(5_400_000, 3_600_000, 7_200_000)).toBe('both');
    expect(bucketPart(0, 3_600_000, null)).toBe('realtime');
  });

  it('agrees with whether the bucket lies wholly before, wholly after or across the watermark', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (start, length, watermark) => {
          const end = start + length;
          const expected = end <= watermark ? 'batch' : start >= watermark ? 'realtime' : 'both';
          expect(bucketPart(start, length, watermark)).toBe(expected);
        },
      ),
    );
  });

  it('puts the watermark at the end of epoch E', () => {
    expect(watermarkTimeMs(498_755, 3_600_000)).toBe(Date.parse('2026-11-24T12:00:00Z'));
  });
});
