import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epochOf, parseLakePath, partFilePath, sealedPath } from './lake-layout.ts';

describe('lake layout', () => {
  it('names part files by partition and inclusive offsets, unpadded', () => {
    expect(
      partFilePath({ topic: 'http_logs', epoch: 489012, partition: 2, firstOffset: 100n, lastOffset: 199n }),
    ).toBe('events/http_logs/epoch=489012/part-2-100-199.parquet');
    expect(sealedPath('sensor_readings', 7)).toBe('events/sensor_readings/epoch=7/_sealed');
  });

  it('parses what it names (any int64 offsets)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9._-]{1,20}$/),
        fc.nat(),
        fc.nat({ max: 1000 }),
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        (topic, epoch, partition, first, span) => {
          const file = { topic, epoch, partition, firstOffset: first, lastOffset: first + span };
          expect(parseLakePath(partFilePath(file))).toEqual({ kind: 'part', ...file });
        },
      ),
    );
  });

  it('recognises seals and temporary files, and ignores anything else', () => {
    expect(parseLakePath('events/t/epoch=3/_sealed')).toEqual({ kind: 'sealed', topic: 't', epoch: 3 });
    expect(parseLakePath('events/t/epoch=3/.part-0-1-2.parquet.oxbow-tmp-ab12')).toEqual({
      kind: 'temporary',
      topic: 't',
    });
    for (const path of [
      'events/t/epoch=3/part-0-01-2.parquet',
      'events/t/epoch=3/part-0-5-4.parquet',
      'events/t/epoch=x/part-0-1-2.parquet',
      'views/_manifest.json',
      'events/t/epoch=3/part-0-1-2.parquet.bak',
    ]) {
      expect(parseLakePath(path)).toEqual({ kind: 'other' });
    }
  });

  it('computes the epoch of an append time', () => {
    expect(epochOf(0, 1000)).toBe(0);
    expect(epochOf(1999, 1000)).toBe(1);
    expect(epochOf(2000, 1000)).toBe(2);
  });
});
