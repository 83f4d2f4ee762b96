/**
 * Event-time windows with a watermark against a naive model: the same records, grouped by key and window in
 * plain code; every on-time record is in exactly one emitted tumbling window, late records are counted and sent
 * to the side output.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { count } from '../../aggregators/count.ts';
import { runStream } from '../../testing/index.ts';
import type { WindowResult } from './event-time-window-dstream.ts';

interface Reading {
  key: string;
  ts: number;
}

const r = (key: string, ts: number): Reading => ({ key, ts });

describe('DStream#eventTimeWindow', () => {
  it('emits a tumbling window once the watermark passes its end, late records go to the side output', async () => {
    const batches = [
      [r('a', 1_000), r('a', 9_000), r('b', 4_000)], // max 9 000 → watermark 7 000
      [r('a', 12_000), r('a', 3_000)], // max 12 000 → watermark 10 000: window [0, 10 000) closes
      [r('a', 5_000), r('b', 25_000)], // a@5 000 is late (its window closed); max 25 000 → watermark 23 000
    ];
    const results = await runStream(batches, (s) =>
      s.eventTimeWindow({
        timestamp: (x) => x.ts,
        key: (x) => x.key,
        window: { kind: 'tumbling', sizeMs: 10_000 },
        allowedLatenessMs: 2_000,
        aggregator: count<Reading>(),
      }),
    );
    expect(results).toEqual([
      [],
      [
        { key: 'a', start: 0, end: 10_000, value: 3, count: 3 },
        { key: 'b', start: 0, end: 10_000, value: 1, count: 1 },
      ],
      [{ key: 'a', start: 10_000, end: 20_000, value: 1, count: 1 }],
    ]);
    const late = await runStream(batches, (s) =>
      s
        .eventTimeWindow({
          timestamp: (x) => x.ts,
          key: (x) => x.key,
          window: { kind: 'tumbling', sizeMs: 10_000 },
          allowedLatenessMs: 2_000,
          aggregator: count<Reading>(),
        })
        .lateRecords(),
    );
    expect(late).toEqual([[], [], [r('a', 5_000)]]);
  });

  it('assigns a record to every sliding window containing it', async () => {
    const [, , emitted] = await runStream([[r('k', 7_000)], [], [r('k', 100_000)]], (s) =>
      s.eventTimeWindow({
        timestamp: (x) => x.ts,
        key: (x) => x.key,
        window: { kind: 'sliding', sizeMs: 10_000, slideMs: 5_000 },
        allowedLatenessMs: 0,
        aggregator: count<Reading>(),
      }),
    );
    expect(emitted?.map((w) => [w.start, w.end, w.value])).toEqual([
      [0, 10_000, 1],
      [5_000, 15_000, 1],
    ]);
  });

  it('merges session windows that a record bridges, and closes them after the gap', async () => {
    const results = await runStream([[r('u', 0), r('u', 20_000)], [r('u', 10_000)], [r('u', 100_000)]], (s) =>
      s.eventTimeWindow({
        timestamp: (x) => x.ts,
        key: (x) => x.key,
        window: { kind: 'session', gapMs: 15_000 },
        allowedLatenessMs: 10_000, // keeps [0, 15 000) open after the first batch (watermark 10 000)
        aggregator: count<Reading>(),
      }),
    );
    expect(results.flat().map((w) => [w.start, w.end, w.value])).toEqual([[0, 35_000, 3]]);
  });

  it('on generated data, every on-time record is counted once and every late one is reported (naive model)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 60_000 })), {
            maxLength: 15,
          }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.integer({ min: 0, max: 20_000 }),
        async (raw, lateness) => {
          const batches = raw.map((batch) => batch.map(([key, ts]) => r(key, ts)));
          // A final batch far in the future flushes every window.
          const input = [...batches, [r('flush', 10_000_000)]];
          const run = (late: boolean) =>
            runStream(input, (s) => {
              const w = s.eventTimeWindow({
                timestamp: (x) => x.ts,
                key: (x) => x.key,
                window: { kind: 'tumbling', sizeMs: 10_000 },
                allowedLatenessMs: lateness,
                aggregator: count<Reading>(),
              });
              return (late ? w.lateRecords() : w) as unknown as ReturnType<typeof s.map<unknown>>;
            });
          const emitted = (await run(false)).flat() as WindowResult<string, number>[];
          const late = (await run(true)).flat() as Reading[];

          // Naive model: the watermark before each batch decides lateness.
          let max = Number.NEGATIVE_INFINITY;
          const expectedLate: Reading[] = [];
          const counts = new Map<string, number>();
          for (const batch of input) {
            const watermark = max - lateness;
            for (const x of batch) {
              const start = Math.floor(x.ts / 10_000) * 10_000;
              if (start + 10_000 <= watermark) expectedLate.push(x);
              else counts.set(`${x.key}@${start}`, (counts.get(`${x.key}@${start}`) ?? 0) + 1);
              max = Math.max(max, x.ts);
            }
          }
          counts.delete('flush@10000000');
          expect(late).toEqual(expectedLate);
          const actual = new Map(emitted.map((w) => [`${w.key}@${w.start}`, w.value]));
          expect(actual).toEqual(counts);
        },
      ),
      { numRuns: 25 },
    );
  });
});
