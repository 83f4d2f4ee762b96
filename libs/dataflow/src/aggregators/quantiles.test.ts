import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataflowError } from '../errors.ts';
import { aggregate, fold, sumAll } from './algebra.ts';
import {
  addToQuantileSketch,
  emptyQuantileSketch,
  mergeQuantileSketches,
  quantile,
  quantileSketchCodec,
  quantiles,
} from './quantiles.ts';
import { describeAggregatorLaws, splitAt } from './test-support/laws.ts';
import { seededRandom } from './test-support/random.ts';
import type { NumericInput } from './values.ts';

const identity = (value: NumericInput) => value;

/** Values spanning signs, zero and many magnitudes (1e-300…1e300 forces collapsing with few buckets). */
const valueInput: fc.Arbitrary<NumericInput> = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: -50, max: 50 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-300, -1e-300, 1e300, -1e300, 5e-324) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, Number.NaN, Number.NEGATIVE_INFINITY) },
);

describeAggregatorLaws('quantiles(α 1 %)', quantiles(identity), valueInput);
describeAggregatorLaws(
  'quantiles(α 5 %, 16 buckets: collapsing)',
  quantiles(identity, { relativeAccuracy: 0.05, maxBuckets: 16 }),
  valueInput,
);

/** The true q-quantile as the sketch defines it: the lower quantile x_⌊q·(n−1)⌋ of the sorted values. */
function lowerQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] ?? Number.NaN;
}

/** The relative accuracy guarantee, with slack for the rounding of logarithms at bucket boundaries. */
function expectWithin(estimate: number | undefined, exact: number, relativeAccuracy: number): void {
  expect(estimate).toBeDefined();
  expect(Math.abs((estimate ?? Number.NaN) - exact)).toBeLessThanOrEqual(
    relativeAccuracy * Math.abs(exact) * (1 + 1e-9),
  );
}

describe('quantile sketch accuracy', () => {
  it('p50, p95, p99 and any quantile of 50k log-normal latencies are within the relative accuracy', () => {
    const random = seededRandom(7);
    const latencies = Array.from({ length: 50_000 }, () => {
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      return Math.exp(3 + 1.2 * normal);
    });
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const relativeAccuracy of [0.01, 0.02]) {
      const latency = quantiles((value: number) => value, { relativeAccuracy });
      const sketch = fold(latency, latencies);
      const summary = latency.present(sketch);
      expectWithin(summary.p50, lowerQuantile(sorted, 0.5), relativeAccuracy);
      expectWithin(summary.p95, lowerQuantile(sorted, 0.95), relativeAccuracy);
      expectWithin(summary.p99, lowerQuantile(sorted, 0.99), relativeAccuracy);
      for (let q = 0; q <= 1; q += 0.037)
        expectWithin(quantile(sketch, q), lowerQuantile(sorted, q), relativeAccuracy);
      expect(quantile(sketch, 0)).toBe(sorted[0]);
      expect(quantile(sketch, 1)).toBe(sorted.at(-1));
    }
  });

  it('every quantile of generated data with zeros and negatives is within the relative accuracy', () => {
    fc.assert(
      fc.property(
        // Magnitudes 1e-6…1e4 span ~1150 buckets at α = 1 %: below the 2048-bucket bound, so nothing collapses.
        fc.array(
          fc
            .oneof(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.constant(0))
            .map((value) => (Math.abs(value) < 1e-6 ? 0 : value)),
          { minLength: 1, maxLength: 300 },
        ),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const sorted = [...values].sort((a, b) => a - b);
          const sketch = fold(
            quantiles((value: number) => value),
            values,
          );
          expectWithin(quantile(sketch, q), lowerQuantile(sorted, q), 0.01);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('merging any split of 20k values gives bit-identical states, also while collapsing', () => {
    const random = seededRandom(11);
    const values = Array.from({ length: 20_000 }, () => (random() - 0.2) * 10 ** (random() * 12 - 6));
    for (const options of [{}, { relativeAccuracy: 0.02, maxBuckets: 64 }]) {
      const latency = quantiles((value: number) => value, options);
      const whole = latency.codec.serialize(fold(latency, values));
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
          const parts = splitAt(values, cuts).map((part) => fold(latency, part));
          expect(latency.codec.serialize(sumAll(latency, parts.reverse()))).toEqual(whole);
        }),
        { numRuns: 6 },
      );
    }
  });

  it('bounds buckets by collapsing the lowest values, keeping the upper quantiles accurate', () => {
    const sketch = emptyQuantileSketch({ relativeAccuracy: 0.01, maxBuckets: 100 });
    const values = Array.from({ length: 2000 }, (_, index) => 1.01 ** index);
    for (const value of values) addToQuantileSketch(sketch, value);
    expect(sketch.positive.buckets.size).toBeLessThanOrEqual(100);
    expect(sketch.positive.maxKey - sketch.positive.minKey).toBeLessThan(100);
    expectWithin(quantile(sketch, 0.99), lowerQuantile(values, 0.99), 0.01);
    expect(quantile(sketch, 0.1)).toBeGreaterThan(lowerQuantile(values, 0.1) * 1.01);
  });

  it('presents undefined quantiles when empty and skips missing values', () => {
    const latency = quantiles(identity);
    expect(latency.present(latency.zero)).toEqual({ p50: undefined, p95: undefined, p99: undefined });
    expect(aggregate(latency, [null, undefined, Number.NaN, 5, Number.POSITIVE_INFINITY])).toEqual({
      p50: 5,
      p95: 5,
      p99: 5,
    });
    expect(aggregate(latency, [0, 0, 0, -3])).toEqual({ p50: 0, p95: 0, p99: 0 });
  });

  it('refuses bad options, bad quantiles and merging different parameters', () => {
    expect(() => quantiles(identity, { relativeAccuracy: 0 })).toThrow(DataflowError);
    expect(() => quantiles(identity, { relativeAccuracy: 1 })).toThrow(/relativeAccuracy/);
    expect(() => quantiles(identity, { maxBuckets: 4 })).toThrow(/maxBuckets/);
    expect(() => quantile(emptyQuantileSketch(), 1.5)).toThrow(/\[0, 1\]/);
    expect(() => addToQuantileSketch(emptyQuantileSketch(), Number.NaN)).toThrow(/finite/);
    expect(() =>
      mergeQuantileSketches(emptyQuantileSketch(), emptyQuantileSketch({ relativeAccuracy: 0.02 })),
    ).toThrow(/different parameters/);
  });

  it('bytes stay small: one bucket per ~2 % of range at α = 1 %', () => {
    const sketch = Array.from({ length: 10_000 }, (_, index) => 1 + (index % 100)).reduce(
      addToQuantileSketch,
      emptyQuantileSketch(),
    );
    expect(quantileSketchCodec.serialize(sketch).length).toBeLessThan(1000);
  });
});
