import { describe, expect, it } from 'vitest';
import { type ArchiveInput, type FileBody, PartitionLog, type RollPolicy } from './partition-log.ts';

const policy: RollPolicy = { rollRows: 3, rollBytes: 1000, rollMs: 500, epochMs: 1000, graceMs: 100 };

interface Row {
  readonly offset: number;
}

/** A body keeping rows in an array, and what happened to it. */
class ArrayBody implements FileBody<Row> {
  readonly rows: Row[] = [];
  state: 'open' | 'closed' | 'discarded' = 'open';
  append(row: Row): void {
    if (this.state !== 'open') throw new Error(`append to a ${this.state} body`);
    this.rows.push(row);
  }
  close(): void {
    this.state = 'closed';
  }
  discard(): void {
    this.state = 'discarded';
  }
}

const bodies: ArrayBody[] = [];
function newLog(p: RollPolicy, start: bigint, lastEpoch: number | undefined): PartitionLog<Row, ArrayBody> {
  return new PartitionLog<Row, ArrayBody>('t', 0, p, start, lastEpoch, () => {
    const body = new ArrayBody();
    bodies.push(body);
    return body;
  });
}

function record(offset: number, appendTimeMs: number, bytes = 10): ArchiveInput<Row> {
  return { offset: BigInt(offset), appendTimeMs, bytes, row: { offset } };
}

describe('PartitionLog', () => {
  it('rolls at rollRows and at an epoch change, keeps files contiguous and in order', () => {
    const log = newLog(policy, 10n, undefined);
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
    expect(
      files.map((f) => [f.epoch, f.firstOffset, f.lastOffset, f.rowCount, f.body.rows.length, f.body.state]),
    ).toEqual([
      [1, 10n, 12n, 3, 3, 'closed'],
      [1, 13n, 13n, 1, 1, 'closed'],
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
    const log = newLog({ ...policy, rollRows: 100, rollBytes: 25 }, 0n, 4);
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
    const log = newLog(policy, 0n, undefined);
    log.beginRange(0n);
    log.append(record(0, 1000), 0);
    log.endRange(1n);
    expect(log.beginRange(0n)).toBe(false);
    expect(log.bufferedRows).toBe(0);
    expect(log.cutOffset).toBe(0n);
    expect(bodies.at(-1)?.state).toBe('discarded');
    expect(() =>
      log.markPublished({
        epoch: 1,
        firstOffset: 0n,
        lastOffset: 0n,
        rowCount: 0,
        bytes: 0,
        openedAtMs: 0,
        body: new ArrayBody(),
      }),
    ).toThrow();
  });

  it('keeps files being published across a reposition and drops only the others', () => {
    const log = newLog({ ...policy, rollRows: 1 }, 0n, undefined);
    log.beginRange(0n);
    log.append(record(0, 1000), 0);
    log.endRange(1n);
    const [first] = log.takeClosed();
    log.append(record(1, 1000), 0); // closed, not taken
    log.append(record(2, 1000), 0);
    log.endRange(3n);
    expect(log.closedFiles().map((f) => f.firstOffset)).toEqual([1n, 2n]);
    expect(log.beginRange(1n)).toBe(false);
    expect(log.closedFiles()).toEqual([]);
    expect(log.durableOffset).toBe(0n); // the file being published
    if (first) log.markPublished(first);
    expect(log.durableOffset).toBe(1n);
    expect(first?.body.state).toBe('closed');
  });
});

describe('PartitionLog at the end of an epoch', () => {
  it('keeps one file for a backlog of an ended epoch until the partition is caught up', () => {
    const log = newLog({ ...policy, rollRows: 100, rollMs: 60_000 }, 0n, undefined);
    log.beginRange(0n);
    log.append(record(0, 1000), 5000); // epoch 1, read long after it ended
    log.rollDue(5000, false); // still behind: keep filling
    log.append(record(1, 1100), 5000);
    log.rollDue(5000, false);
    expect(log.closedFiles()).toEqual([]);
    log.rollDue(5000, true); // caught up: the ended epoch's file is closed
    expect(log.closedFiles().map((f) => [f.firstOffset, f.lastOffset])).toEqual([[0n, 1n]]);
  });
});
