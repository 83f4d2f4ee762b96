import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOffset } from './offsets.ts';
import { type BufferedRecord, PartitionBuffer } from './partition-buffer.ts';

function record(offset: bigint): BufferedRecord {
  return { offset, timestamp: 0, key: null, value: Buffer.from(String(offset)), headers: {} };
}

function records(...offsets: number[]): BufferedRecord[] {
  return offsets.map((offset) => record(BigInt(offset)));
}

describe('PartitionBuffer', () => {
  it('cuts contiguous ranges [last cut, next offset) bounded by the record limit', () => {
    const buffer = new PartitionBuffer('t', 0, 10n);
    expect(buffer.append(records(10, 11, 12, 13, 14), 14n, 20n)).toBe(5);
    const first = buffer.cut(3);
    expect(first?.range).toEqual({ topic: 't', partition: 0, fromOffset: '10', untilOffset: '13' });
    expect(first?.records.map((r) => r.offset)).toEqual([10n, 11n, 12n]);
    expect(buffer.lag()).toBe(7n); // high watermark 20 − cut 13
    const second = buffer.cut(100);
    expect(second?.range).toEqual({ topic: 't', partition: 0, fromOffset: '13', untilOffset: '15' });
    expect(buffer.cut(100)).toBeUndefined();
  });

  it('drops duplicates below the fetch position', () => {
    const buffer = new PartitionBuffer('t', 1, 0n);
    buffer.append(records(0, 1, 2));
    expect(buffer.append(records(1, 2, 3))).toBe(1);
    expect(buffer.cut(10)?.records.map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n]);
  });

  it('covers offsets without records (transaction markers) when the buffer drains', () => {
    const buffer = new PartitionBuffer('t', 0, 0n);
    buffer.append(records(0, 1), 2n); // offset 2 is a commit marker
    expect(buffer.position).toBe(3n);
    expect(buffer.cut(1)?.range.untilOffset).toBe('1');
    expect(buffer.cut(1)?.range).toMatchObject({ fromOffset: '1', untilOffset: '3' });
    buffer.append([], 5n); // a fetch of markers only
    expect(buffer.cut(10)).toMatchObject({ range: { fromOffset: '3', untilOffset: '6' }, records: [] });
  });

  it('keeps offsets beyond 2^53 exact', () => {
    const start = 2n ** 60n + 1n;
    const buffer = new PartitionBuffer('t', 0, start);
    buffer.append([record(start), record(start + 1n)]);
    const cut = buffer.cut(10);
    expect(cut?.range.fromOffset).toBe('1152921504606846977');
    expect(cut?.range.untilOffset).toBe('1152921504606846979');
  });

  it('never loses, repeats or reorders a record across any interleaving of fetches and cuts (property)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('fetch' as const), rewind: fc.nat(3), count: fc.nat(6), gap: fc.nat(2) }),
      fc.record({ kind: fc.constant('cut' as const), limit: fc.nat(5) }),
    );
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        fc.array(step, { maxLength: 40 }),
        (start, steps) => {
          const buffer = new PartitionBuffer('t', 0, start);
          const log: bigint[] = []; // every offset that holds a record, in order (the partition's content)
          let end = start; // the log's next offset
          const cuts: { from: bigint; until: bigint; offsets: bigint[] }[] = [];
          for (const s of steps) {
            if (s.kind === 'fetch') {
              // The log grows by `count` records after `gap` empty offsets; a fetch re-reads from up to
              // `rewind` offsets before the fetch position (a duplicate delivery).
              end += BigInt(s.gap);
              for (let i = 0; i < s.count; i++) log.push(end++);
              const from = buffer.position - BigInt(s.rewind);
              const fetched = log.filter((o) => o >= from).map(record);
              buffer.append(fetched, end > start ? end - 1n : undefined);
            } else {
              const cut = buffer.cut(s.limit);
              if (cut) {
                cuts.push({
                  from: parseOffset(cut.range.fromOffset),
                  until: parseOffset(cut.range.untilOffset),
                  offsets: cut.records.map((r) => r.offset),
                });
              }
            }
          }
          const final = buffer.cut(Number.POSITIVE_INFINITY);
          if (final) {
            cuts.push({
              from: parseOffset(final.range.fromOffset),
              until: parseOffset(final.range.untilOffset),
              offsets: final.records.map((r) => r.offset),
            });
          }
          let expectedFrom = start;
          for (const cut of cuts) {
            expect(cut.from).toBe(expectedFrom);
            expect(cut.until > cut.from).toBe(true);
            for (const o of cut.offsets) expect(o >= cut.from && o < cut.until).toBe(true);
            expectedFrom = cut.until;
          }
          expect(cuts.flatMap((c) => c.offsets)).toEqual(log);
          expect(expectedFrom).toBe(end);
        },
      ),
    );
  });
});
