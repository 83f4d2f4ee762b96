import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataflowError } from '../errors.ts';
import { aggregate, fold, sumAll } from './algebra.ts';
import { hash64 } from './hash.ts';
import {
  addToHyperLogLog,
  emptyHyperLogLog,
  estimateCardinality,
  hyperLogLog,
  hyperLogLogCodec,
  hyperLogLogMonoid,
  hyperLogLogStandardError,
} from './hyperloglog.ts';
import { describeAggregatorLaws, splitAt } from './test-support/laws.ts';
import type { HashableValue } from './values.ts';

const key = (value: HashableValue | null | undefined) => value;
const keyInput = fc.oneof(
  fc.integer({ min: 0, max: 500 }),
  fc.string({ maxLength: 4 }),
  fc.constantFrom(null, undefined, Number.NaN, true),
);

describeAggregatorLaws('hyperLogLog(precision 8)', hyperLogLog(key, { precision: 8 }), keyInput);

describe('hyperLogLog accuracy and determinism', () => {
  it('estimates 100k distinct values within 3 standard errors at every default precision tested', () => {
    const values = Array.from({ length: 100_000 }, (_, index) => `user-${index}`);
    for (const precision of [10, 14]) {
      const estimate = aggregate(
        hyperLogLog((value: string) => value, { precision }),
        values,
      );
      const standardError = hyperLogLogStandardError(precision);
      expect(Math.abs(estimate - values.length) / values.length).toBeLessThan(3 * standardError);
    }
    const numbers = Array.from({ length: 100_000 }, (_, index) => index * 7);
    const estimate = aggregate(
      hyperLogLog((value: number) => value),
      numbers,
    );
    expect(Math.abs(estimate - 100_000) / 100_000).toBeLessThan(3 * hyperLogLogStandardError(14));
  });

  it('is close to exact for small cardinalities and 0 when empty', () => {
    const distinctUsers = hyperLogLog((value: number) => value);
    expect(distinctUsers.present(distinctUsers.zero)).toBe(0);
    for (const size of [1, 10, 100, 1000]) {
      const estimate = aggregate(
        distinctUsers,
        Array.from({ length: size }, (_, index) => index),
      );
      expect(Math.abs(estimate - size)).toBeLessThanOrEqual(Math.max(1, size * 0.02));
    }
  });

  it('counts duplicates once and tells 1, "1", 1n and true apart', () => {
    const repeated = Array.from({ length: 5000 }, (_, index) => index % 50);
    expect(
      Math.round(
        aggregate(
          hyperLogLog((value: number) => value),
          repeated,
        ),
      ),
    ).toBe(50);
    const mixed: HashableValue[] = [1, '1', 1n, true, -0, 0];
    expect(
      Math.round(
        aggregate(
          hyperLogLog((value: HashableValue) => value),
          mixed,
        ),
      ),
    ).toBe(5);
  });

  it('merges any split of 20k values into bit-identical registers', () => {
    const distinct = hyperLogLog((value: string) => value, { precision: 12 });
    const values = Array.from({ length: 20_000 }, (_, index) => `k${index % 15_000}`);
    const whole = distinct.codec.serialize(fold(distinct, values));
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
        const parts = splitAt(values, cuts).map((part) => fold(distinct, part));
        expect(distinct.codec.serialize(sumAll(distinct, parts.reverse()))).toEqual(whole);
      }),
      { numRuns: 8 },
    );
  });

  it('hashes deterministically: fixed inputs give fixed hashes and bytes in every process', () => {
    const hex = (bytes: Iterable<number>) =>
      [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
    const hashes = ['a', 42, 42n, true, 'ünïcödé 🚀'].map((value) => {
      const { high, low } = hash64(value, { high: 0, low: 0 });
      return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
    });
    const state = ['a', 'b', 'c', 42, 'ünïcödé 🚀'].reduce(addToHyperLogLog, emptyHyperLogLog(4));
    expect({ hashes, bytes: hex(hyperLogLogCodec.serialize(state)) }).toMatchInlineSnapshot(`
      {
        "bytes": "0701040001000000000300010000000101000000",
        "hashes": [
          "0f0d00bad634e4ba",
          "52df64adac94b9fb",
          "b51afbcd5e60d768",
          "19c73d06a0cca5fa",
          "bbed54a762afb5a8",
        ],
      }
    `);
  });

  it('uses sparse bytes while few registers are set, dense when many are', () => {
    const few = ['a', 'b', 'c'].reduce(addToHyperLogLog, emptyHyperLogLog(14));
    expect(hyperLogLogCodec.serialize(few).length).toBeLessThan(20);
    const many = Array.from({ length: 100_000 }, (_, index) => index).reduce(
      addToHyperLogLog,
      emptyHyperLogLog(10),
    );
    const bytes = hyperLogLogCodec.serialize(many);
    expect(bytes.length).toBe(4 + 1024);
    expect(estimateCardinality(hyperLogLogCodec.deserialize(bytes))).toBe(estimateCardinality(many));
  });

  it('refuses bad precisions and merging different precisions', () => {
    expect(() => hyperLogLog(key, { precision: 3 })).toThrow(DataflowError);
    expect(() => hyperLogLog(key, { precision: 12.5 })).toThrow(/integer from 4 to 18/);
    expect(() => hyperLogLogMonoid(10).plus(emptyHyperLogLog(10), emptyHyperLogLog(11))).toThrow(
      /precision 10 and 11/,
    );
  });
});
