import { describe, expect, it } from 'vitest';
import {
  type CommitRequest,
  chunkEntries,
  DEFAULT_COMMIT_LIMITS,
  measureCommit,
  sectionEntries,
} from './commit-script.ts';

const request: CommitRequest = {
  generation: 'g',
  ranges: [{ topic: 't', partition: 0, fromOffset: '0', untilOffset: '3', absentOk: true }],
  hashWrites: [
    { key: 'rt:a', field: '60000', value: new Uint8Array([1, 2, 3]) },
    { key: 'rt:b', field: '0', value: new Uint8Array(new ArrayBuffer(8), 4, 2) },
  ],
  setAdds: [{ key: 'rtkeys:v:1', member: '/é' }],
  zAdds: [{ key: 'rtepochs:v', score: 1, member: '1' }],
  counters: [{ key: 'speed:status', field: 'records:t', by: 3 }],
};

describe('sectionEntries', () => {
  it('flattens each section into fixed-width entries with key names, values as Buffers over the same bytes', () => {
    const hashes = [...sectionEntries(request, 'hashes')];
    expect(hashes.map((e) => e.length)).toEqual([3, 3]);
    const value = hashes[1]?.[2] as Buffer;
    expect(value).toEqual(Buffer.from([0, 0]));
    expect(value.buffer).toBe(request.hashWrites[1]?.value.buffer);
    expect([...sectionEntries(request, 'members')]).toEqual([['rtkeys:v:1', '/é']]);
    expect([...sectionEntries(request, 'scored')]).toEqual([['rtepochs:v', '1', '1']]);
    expect([...sectionEntries(request, 'counters')]).toEqual([['speed:status', 'records:t', '3']]);
  });
});

describe('measureCommit', () => {
  it('counts every entry and its UTF-8 bytes, ranges excluded', () => {
    const bytes = 4 + 5 + 3 + (4 + 1 + 2) + (10 + 3) /* '/é' is 3 bytes */ + (10 + 1 + 1) + (12 + 9 + 1);
    expect(measureCommit(request)).toEqual({ entries: 5, bytes });
  });
});

describe('chunkEntries', () => {
  const entries = (n: number, size = 1) =>
    Array.from({ length: n }, (_, i) => [`k${i % 10}`, 'x'.repeat(size)] as string[]);

  it('cuts flat chunks of at most maxEntries entries, in order, never splitting an entry', () => {
    const chunks = [...chunkEntries(entries(2_500), 1_000, Number.MAX_SAFE_INTEGER)];
    expect(chunks.map((c) => c.length)).toEqual([2_000, 2_000, 1_000]);
    expect(chunks.flat()).toEqual(entries(2_500).flat());
  });

  it('cuts at maxBytes, and gives an entry larger than maxBytes a chunk of its own', () => {
    const chunks = [
      ...chunkEntries(
        [
          ['a', 'xxxx'],
          ['b', 'yyyy'],
          ['c', 'z'.repeat(50)],
          ['d', 'w'],
        ],
        100,
        12,
      ),
    ];
    expect(chunks).toEqual([
      ['a', 'xxxx', 'b', 'yyyy'],
      ['c', 'z'.repeat(50)],
      ['d', 'w'],
    ]);
  });

  it('yields nothing for no entries and keeps every chunk within the default bounds at scale', () => {
    expect([...chunkEntries([], 10, 10)]).toEqual([]);
    let count = 0;
    let total = 0;
    for (const chunk of chunkEntries(entries(100_000, 40), DEFAULT_COMMIT_LIMITS.chunkEntries, 16 * 1024)) {
      const bytes = chunk.reduce((n, e) => n + Buffer.byteLength(e), 0);
      expect(chunk.length / 2).toBeLessThanOrEqual(DEFAULT_COMMIT_LIMITS.chunkEntries);
      expect(bytes).toBeLessThanOrEqual(16 * 1024);
      count++;
      total += chunk.length / 2;
    }
    expect(total).toBe(100_000);
    expect(count).toBeGreaterThanOrEqual(100_000 / DEFAULT_COMMIT_LIMITS.chunkEntries);
  });
});
