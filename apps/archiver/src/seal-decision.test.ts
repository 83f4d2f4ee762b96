import { describe, expect, it } from 'vitest';
import { sealEndOffsets } from './seal-decision.ts';

const base = { epoch: 5, epochMs: 1000, graceMs: 100 };

describe('sealEndOffsets', () => {
  it('seals when every partition passed the epoch, at the first offset of a later epoch', () => {
    expect(
      sealEndOffsets({
        ...base,
        watermarksAtMs: 5500, // the epoch has not even ended by the clock: passing is enough
        partitions: [
          { partition: 1, firstOffsetAfter: 7n, durable: 9n, highWatermark: 20n },
          { partition: 0, firstOffsetAfter: 42n, durable: 50n, highWatermark: 60n },
        ],
      }),
    ).toEqual({ '0': '42', '1': '7' });
  });

  it('lets an idle partition seal at its high watermark once the epoch end (plus grace) has passed', () => {
    const partitions = [
      { partition: 0, firstOffsetAfter: 42n, durable: 50n, highWatermark: 60n },
      { partition: 1, firstOffsetAfter: undefined, durable: 0n, highWatermark: 0n },
      { partition: 2, firstOffsetAfter: undefined, durable: 31n, highWatermark: 30n },
    ];
    expect(sealEndOffsets({ ...base, watermarksAtMs: 6099, partitions })).toBeUndefined();
    expect(sealEndOffsets({ ...base, watermarksAtMs: 6100, partitions })).toEqual({
      '0': '42',
      '1': '0',
      '2': '30',
    });
  });

  it('waits for a partition with records not yet archived', () => {
    expect(
      sealEndOffsets({
        ...base,
        watermarksAtMs: 99_999,
        partitions: [{ partition: 0, firstOffsetAfter: undefined, durable: 10n, highWatermark: 11n }],
      }),
    ).toBeUndefined();
    expect(sealEndOffsets({ ...base, watermarksAtMs: 99_999, partitions: [] })).toBeUndefined();
  });
});
