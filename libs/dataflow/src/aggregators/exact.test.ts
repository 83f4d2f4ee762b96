import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { aggregate, andThenPresent, fold, sumAll } from './algebra.ts';
import { count } from './count.ts';
import { distinctSet } from './distinct-set.ts';
import { max, maxMonoid, min, minMonoid } from './extremes.ts';
import { mean, meanMonoid } from './mean.ts';
import { sum, sumMonoid } from './sum.ts';
import { describeAggregatorLaws, describeGroupLaws } from './test-support/laws.ts';
import type { HashableValue, NumericInput } from './values.ts';

/** Numbers that sum exactly (integers far below 2^53), plus the missing values every aggregator skips. */
const numericInput: fc.Arbitrary<NumericInput> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -1_000_000, max: 1_000_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY, -0) },
);
const identity = (value: NumericInput) => value;

/** The finite values of a generated input list: what the reference implementations fold. */
const present = (values: readonly NumericInput[]) =>
  values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));

describeAggregatorLaws('count', count<NumericInput>(), numericInput);
describeGroupLaws('count', count<NumericInput>(), numericInput);
describeAggregatorLaws(
  'count(predicate)',
  count<NumericInput>((value) => (value ?? 0) > 0),
  numericInput,
);
describeAggregatorLaws('sum', sum(identity), numericInput);
describeGroupLaws('sum', sum(identity), numericInput);
describeAggregatorLaws('min', min(identity), numericInput);
describeAggregatorLaws('max', max(identity), numericInput);
describeAggregatorLaws('mean', mean(identity), numericInput);
describeGroupLaws('mean', mean(identity), numericInput);

const hashableInput: fc.Arbitrary<HashableValue | null | undefined> = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.string({ maxLength: 3 }),
  fc.boolean(),
  fc.bigInt({ min: -3n, max: 3n }),
  fc.constantFrom(null, undefined, Number.NaN, -0, 0.5),
);
describeAggregatorLaws(
  'distinctSet',
  distinctSet((value: HashableValue | null | undefined) => value),
  hashableInput,
);

describe('exact aggregators against naive references', () => {
  it('count, sum, min, max and mean agree with plain loops and skip missing values', () => {
    fc.assert(
      fc.property(fc.array(numericInput, { maxLength: 60 }), (values) => {
        const finite = present(values);
        expect(aggregate(count(), values)).toBe(values.length);
        expect(
          aggregate(
            count<NumericInput>((value) => value === null),
            values,
          ),
        ).toBe(values.filter((value) => value === null).length);
        expect(aggregate(sum(identity), values)).toBe(finite.reduce((total, value) => total + value, 0));
        expect(aggregate(min(identity), values)).toBe(finite.length === 0 ? undefined : Math.min(...finite));
        expect(aggregate(max(identity), values)).toBe(finite.length === 0 ? undefined : Math.max(...finite));
        const average = aggregate(mean(identity), values);
        if (finite.length === 0) expect(average).toBeUndefined();
        else
          expect(average).toBeCloseTo(finite.reduce((total, value) => total + value, 0) / finite.length, 9);
        expect(Number.isNaN(aggregate(sum(identity), values))).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('distinctSet presents the sorted distinct values, -0 as 0, skipping null, undefined and NaN', () => {
    const values = ['b', 2, null, 'a', 10, -0, 0, undefined, Number.NaN, true, 3n, 'b', 2];
    expect(
      aggregate(
        distinctSet((value: (typeof values)[number]) => value),
        values,
      ),
    ).toEqual([true, 0, 2, 10, 3n, 'a', 'b']);
  });

  it('mean presents undefined for no values and a window can subtract its leaving batch', () => {
    const average = mean((value: number | null) => value);
    expect(average.present(average.zero)).toBeUndefined();
    const window = fold(average, [1, 2, 3, 4]);
    const leaving = fold(average, [1, 2]);
    expect(average.present(average.minus(window, leaving))).toBe(3.5);
  });

  it('bare monoids work with a plain reduce, like rdd.reduceByKey(sumMonoid.plus)', () => {
    expect([1, 2, 3].reduce(sumMonoid.plus)).toBe(6);
    expect([3, 1, 2].reduce(minMonoid.plus, minMonoid.zero)).toBe(1);
    expect([3, 1, 2].reduce(maxMonoid.plus, maxMonoid.zero)).toBe(3);
    expect(
      sumAll(meanMonoid, [
        { sum: 3, count: 1 },
        { sum: 5, count: 3 },
      ]),
    ).toEqual({ sum: 8, count: 4 });
    expect(sumMonoid.negate(0)).toBe(0);
    expectTypeOf(sumMonoid.plus).toEqualTypeOf<(left: number, right: number) => number>();
  });

  it('codecs are compact: small counts take three bytes', () => {
    expect(count().codec.serialize(5)).toEqual(new Uint8Array([0x01, 1, 0, 5]).subarray(0, 4));
    expect(count().codec.serialize(5).length).toBe(4);
    expect(sum(identity).codec.serialize(-300).length).toBe(5);
    expect(sum(identity).codec.deserialize(sum(identity).codec.serialize(0.1))).toBe(0.1);
  });

  it('andThenPresent changes only the presented value', () => {
    const rounded = andThenPresent(
      mean((value: number) => value),
      (value) => (value === undefined ? 0 : Math.round(value)),
    );
    expect(aggregate(rounded, [1, 2])).toBe(2);
    expect(rounded.plus(fold(rounded, [1]), fold(rounded, [2]))).toEqual({ sum: 3, count: 2 });
  });
});
