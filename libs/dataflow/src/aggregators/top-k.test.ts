import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataflowError } from '../errors.ts';
import { aggregate, fold, sumAll } from './algebra.ts';
import { describeAggregatorLaws, splitAt } from './test-support/laws.ts';
import { seededRandom, zipfSampler } from './test-support/random.ts';
import {
  addToSpaceSaving,
  emptySpaceSaving,
  mergeSpaceSaving,
  rankedCounters,
  type SpaceSavingSummary,
  topK,
} from './top-k.ts';
import type { HashableValue } from './values.ts';

type Item = string | number | null;
const item = (value: Item) => value;

/** A small alphabet: with capacity ≥ its size no item is ever evicted, so counts are exact. */
const smallAlphabet: fc.Arbitrary<Item> = fc.constantFrom('a', 'b', 'c', 1, 2, null);
describeAggregatorLaws('topK (no eviction)', topK(item, 3, { capacity: 8 }), smallAlphabet, {
  decodesToSameLayout: false,
});

/** A larger alphabet than capacity: evictions happen, associativity holds only up to the bound. */
const largeAlphabet: fc.Arbitrary<Item> = fc.oneof(
  fc.integer({ min: 0, max: 30 }),
  fc.constantFrom('x', 'y', null),
);
describeAggregatorLaws('topK (evicting)', topK(item, 2, { capacity: 4 }), largeAlphabet, {
  exactlyAssociative: false,
  decodesToSameLayout: false,
});

function exactCounts<T>(values: readonly (T | null)[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const value of values) if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** Checks the Space-Saving guarantees of `summary` against exact counts of the stream it summarises. */
function expectSpaceSavingBounds<T extends HashableValue>(
  summary: SpaceSavingSummary<T>,
  exact: Map<T, number>,
): void {
  const counters = rankedCounters(summary);
  const total = [...exact.values()].reduce((sum, value) => sum + value, 0);
  expect(summary.total).toBe(total);
  for (const { item: monitored, count, error } of counters) {
    const truth = exact.get(monitored) ?? 0;
    expect(count - error).toBeLessThanOrEqual(truth);
    expect(truth).toBeLessThanOrEqual(count);
    expect(error).toBeLessThanOrEqual(total / summary.capacity);
  }
  const smallest =
    counters.length < summary.capacity ? 0 : Math.min(...counters.map((counter) => counter.count));
  for (const [value, truth] of exact) {
    if (truth > smallest || truth > total / summary.capacity) {
      expect(counters.some((counter) => counter.item === value)).toBe(true);
    }
  }
}

describe('topK (Space-Saving) accuracy', () => {
  it('finds the true top 10 of a 60k-item Zipf stream, with counts within n/capacity', () => {
    const next = zipfSampler(5000, 1.1, seededRandom(3));
    const stream = Array.from({ length: 60_000 }, () => `page-${next()}`);
    const exact = exactCounts(stream);
    const trueTop = [...exact].sort((a, b) => b[1] - a[1]).slice(0, 10);
    const heavyHitters = topK((value: string) => value, 10, { capacity: 200 });
    const summary = fold(heavyHitters, stream);
    expectSpaceSavingBounds(summary, exact);
    const reported = heavyHitters.present(summary);
    expect(reported.map(([page]) => page).sort()).toEqual(trueTop.map(([page]) => page).sort());
    for (const [page, count] of reported) {
      expect(count - (exact.get(page) ?? 0)).toBeLessThanOrEqual(stream.length / 200);
    }
    expect(reported[0]?.[0]).toBe('page-1');
  });

  it('merged summaries of any split keep the bounds and the same top items', () => {
    const next = zipfSampler(2000, 1.2, seededRandom(5));
    const stream = Array.from({ length: 20_000 }, () => next());
    const exact = exactCounts(stream);
    const trueTop = [...exact].sort((a, b) => b[1] - a[1]).slice(0, 5);
    const heavyHitters = topK((value: number) => value, 5, { capacity: 100 });
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (cuts, reverse) => {
        const parts = splitAt(stream, cuts).map((part) => fold(heavyHitters, part));
        const merged = sumAll(heavyHitters, reverse ? parts.reverse() : parts);
        expectSpaceSavingBounds(merged, exact);
        expect(new Set(heavyHitters.present(merged).map(([value]) => value))).toEqual(
          new Set(trueTop.map(([value]) => value)),
        );
      }),
      { numRuns: 10 },
    );
  });

  it('keeps the bounds under any merge tree of small generated streams', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 30 }), { maxLength: 6 }),
        (streams) => {
          const summaries = streams.map((stream) =>
            stream.reduce(addToSpaceSaving, emptySpaceSaving<number>(4)),
          );
          const leftFold = summaries.reduce(mergeSpaceSaving, emptySpaceSaving<number>(4));
          const rightFold = summaries.reduceRight(
            (acc, summary) => mergeSpaceSaving(summary, acc),
            emptySpaceSaving<number>(4),
          );
          const exact = exactCounts(streams.flat());
          expectSpaceSavingBounds(leftFold, exact);
          expectSpaceSavingBounds(rightFold, exact);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('ranks ties by item and presents k [item, count] pairs', () => {
    expect(aggregate(topK(item, 2), ['b', 'a', 'c', 'c', null, 'a', 'b'])).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
  });

  it('refuses bad k, capacity and merging different capacities', () => {
    expect(() => topK(item, 0)).toThrow(DataflowError);
    expect(() => topK(item, 5, { capacity: 3 })).toThrow(/smaller than k/);
    expect(() => mergeSpaceSaving(emptySpaceSaving(3), emptySpaceSaving(4))).toThrow(/capacity 3 and 4/);
  });
});
