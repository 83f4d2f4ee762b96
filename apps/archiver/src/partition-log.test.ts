import { describe, expect, it } from 'vitest';
import { type ArchiveInput, PartitionLog, type RollPolicy } from './partition-log.ts';

const policy: RollPolicy = { rollRows: 3, rollBytes: 1000, rollMs: 500, epochMs: 1000, graceMs: 100 };

function record(offset: number, appendTimeMs: number, bytes = 10): ArchiveInput {
  return { offset: BigInt(offset), appendTimeMs, bytes, row: { offset } };
}

describe('PartitionLog', () => {
  it('rolls at rollRows and at an epoch change, keeps files contiguous and in order', () => {
    const log = new PartitionLog('t', 0, policy, 10n, undefined);
    expect(log.beginRange(10n)).toBe(true);
    for (const [offset, time] of [
      [10, 1000],
      [11, 1100],
      [12, 1200],
      [13, 1300],
      [15, 2000], // offset 14 was dead-lettered; epoch 2 starts
    ] as const) {
      log.append(record(offset, time), time);
    }
    log.endRange(16n);
    const files = log.closedFiles();
    expect(files.map((f) => [f.epoch, f.firstOffset, f.lastOffset, f.rows.length])).toEqual([
      [1, 10n, 12n, 3],
      [1, 13n, 13n, 1],
    ]);
    expect(log.durableOffset).toBe(10n);
    for (const file of files) log.markPublished(file);
    expect(log.durableOffset).toBe(15n); // the open epoch-2 file starts there
    log.rollDue(2000 + 499);
    expect(log.closedFiles()).toEqual([]);
    log.rollDue(3100); // the wall clock left epoch 2 (plus grace)
    const [last] = log.closedFiles();
    expect([last?.epoch, last?.firstOffset, last?.lastOffset]).toEqual([2, 15n, 15n]);
    if (last) log.markPublished(last);
    expect(log.durableOffset).toBe(16n);
  });

  it('rolls by bytes and by age, and never lets the epoch go backwards', () => {
    const log = new PartitionLog('t', 0, { ...policy, rollRows: 100, rollBytes: 25 }, 0n, 4);
    log.beginRange(0n);
    log.append(record(0, 3500, 20), 0); // append time in epoch 3, but epoch 4 was already published
    log.append(record(1, 4100, 20), 0); // 40 bytes ≥ 25: rolled
    log.append(record(2, 4200, 1), 100);
    log.rollDue(599);
    log.rollDue(600); // age 500 ms
    expect(log.closedFiles().map((f) => [f.epoch, f.firstOffset, f.lastOffset])).toEqual([
      [4, 0n, 1n],
      [4, 2n, 2n],
    ]);
  });

  it('drops what it buffered when a range does not continue the previous one (repositioned)', () => {
    const log = new PartitionLog('t', 0, policy, 0n, undefined);
    log.beginRange(0n);
    log.append(record(0, 1000), 0);
    log.endRange(1n);
    expect(log.beginRange(0n)).toBe(false);
    expect(log.bufferedRows).toBe(0);
    expect(log.cutOffset).toBe(0n);
    expect(() =>
      log.markPublished({ epoch: 1, firstOffset: 0n, lastOffset: 0n, rows: [], bytes: 0, openedAtMs: 0 }),
    ).toThrow();
  });
});
