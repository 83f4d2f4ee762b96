import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchError } from '../errors.ts';
import { assertPartOf, decodePartMarker, partDir, partsRunIdOf, sliceOf } from './batch-parts.ts';

describe('sliceOf', () => {
  it('splits a list into count contiguous slices, in order, each one file at most longer than another', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 200 }), fc.integer({ min: 1, max: 12 }), (files, count) => {
        const slices = Array.from({ length: count }, (_, index) => sliceOf(files, { index, count }));
        // Concatenated in index order they are the list: every file in exactly one part, lake order kept.
        expect(slices.flat()).toEqual(files);
        const sizes = slices.map((slice) => slice.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('gives a part of more parts than files nothing or one file', () => {
    expect([0, 1, 2, 3].map((index) => sliceOf(['a', 'b'], { index, count: 4 }))).toEqual([
      [],
      ['a'],
      [],
      ['b'],
    ]);
  });
});

describe('the run id and the layout of the parts', () => {
  it('is the configured id, or w<E>', () => {
    expect(partsRunIdOf('', 489_012)).toBe('w489012');
    expect(partsRunIdOf(undefined, 7)).toBe('w7');
    expect(partsRunIdOf('nightly-2026-12-01', 7)).toBe('nightly-2026-12-01');
    expect(partDir('w7', { index: 2, count: 3 })).toBe('views/_parts/w7/part-2-of-3');
    for (const bad of ['a/b', '..', 'x y', 'a'.repeat(101)]) {
      expect(() => partsRunIdOf(bad, 7), bad).toThrow(BatchError);
    }
  });

  it('refuses an index outside 0 … count − 1 and a count below 1', () => {
    expect(() => assertPartOf({ index: 2, count: 3 })).not.toThrow();
    for (const part of [
      { index: 3, count: 3 },
      { index: -1, count: 3 },
      { index: 0, count: 0 },
      { index: 0.5, count: 2 },
    ]) {
      expect(() => assertPartOf(part), JSON.stringify(part)).toThrow(/part (index|count)/);
    }
  });

  it('reads back only part markers', () => {
    const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    expect(() => decodePartMarker(bytes({ format: 'oxbow-batch-manifest' }), 'x')).toThrow(
      /not an oxbow batch part/,
    );
    expect(() => decodePartMarker(new TextEncoder().encode('{'), 'x')).toThrow(/not JSON/);
    const marker = {
      format: 'oxbow-batch-part',
      version: 1,
      partsRunId: 'w7',
      index: 0,
      count: 1,
      watermarkEpoch: 7,
      views: [],
      writtenAt: '2026-12-01T00:00:00.000Z',
    };
    expect(decodePartMarker(bytes(marker), 'x')).toEqual(marker);
  });
});
