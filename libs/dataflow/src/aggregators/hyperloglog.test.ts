import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataflowError } from '../errors.ts';
import { aggregate, fold, sumAll } from './algebra.ts';
import { hash64 } from './hash.ts';
import {
  addToHyperLogLog,
  emptyHyperLogLog,
  estimateCardinality,
  type HyperLogLogState,
  hyperLogLog,
  hyperLogLogCodec,
  hyperLogLogMonoid,
  hyperLogLogRegisters,
  hyperLogLogStandardError,
  isSparseHyperLogLog,
  sparseHyperLogLogLimit,
} from './hyperloglog.ts';
import { describeAggregatorLaws, splitAt } from './test-support/laws.ts';
import type { HashableValue } from './values.ts';

const key = (value: HashableValue | null | undefined) => value;
const keyInput = fc.oneof(
  fc.integer({ min: 0, max: 500 }),
  fc.string({ maxLength: 4 }),
  fc.constantFrom(null, undefined, Number.NaN, true),
);

// Precision 8 holds at most 32 registers sparse, so up to 40 inputs cross into dense states; 12 stays sparse.
// Decoding gives the representation of the bytes, not necessarily the one encoded: compare bytes only.
describeAggregatorLaws('hyperLogLog(precision 8)', hyperLogLog(key, { precision: 8 }), keyInput, {
  decodesToSameLayout: false,
});
describeAggregatorLaws('hyperLogLog(precision 12)', hyperLogLog(key, { precision: 12 }), keyInput, {
  decodesToSameLayout: false,
});

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

/** The codec's `serialize` as it was before states could be held sparse: the reference for byte identity. */
function referenceSerialize(precision: number, registers: Uint8Array): number[] {
  let nonZero = 0;
  for (const register of registers) if (register !== 0) nonZero++;
  const out = [0x07, 1, precision];
  const varuint = (value: number) => {
    let rest = value;
    while (rest >= 0x80) {
      out.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    out.push(rest);
  };
  if (nonZero * 4 < registers.length) {
    out.push(1);
    varuint(nonZero);
    let previous = 0;
    registers.forEach((register, index) => {
      if (register === 0) return;
      varuint(index - previous);
      out.push(register);
      previous = index;
    });
  } else {
    out.push(0, ...registers);
  }
  return out;
}

/** A dense state folded the way the batch layer's columnar fold builds its registers. */
function denseOf(precision: number, values: readonly string[]): HyperLogLogState {
  let state: HyperLogLogState = { precision, registers: new Uint8Array(2 ** precision) };
  for (const value of values) state = addToHyperLogLog(state, value);
  return state;
}

const bytesOf = (state: HyperLogLogState) => [...hyperLogLogCodec.serialize(state)];

describe('hyperLogLog sparse representation', () => {
  it('holds few values sparse, becomes dense past its limit, and always has the registers of a dense fold', () => {
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
    for (const precision of [4, 8, 12, 14]) {
      const limit = sparseHyperLogLogLimit(precision);
      let sparse = emptyHyperLogLog(precision);
      const registers = new Uint8Array(2 ** precision);
      const dense: HyperLogLogState = { precision, registers };
      let set = 0;
      let wasDense = false;
      const steps = 3 * limit + 50;
      for (let i = 0; i < steps; i++) {
        const value = `user-${i}`;
        sparse = addToHyperLogLog(sparse, value);
        const index = hash64(value, { high: 0, low: 0 }).high >>> (32 - precision);
        if (registers[index] === 0) set++;
        addToHyperLogLog(dense, value);
        // Sparse exactly while it holds at most its limit of registers; never back to sparse in place.
        expect(isSparseHyperLogLog(sparse)).toBe(!wasDense && set <= limit);
        wasDense ||= !isSparseHyperLogLog(sparse);
        if (i % 97 === 0 || Math.abs(set - limit) <= 1 || i === steps - 1) {
          expect(same(hyperLogLogRegisters(sparse), registers)).toBe(true);
          expect(estimateCardinality(sparse)).toBe(estimateCardinality(dense));
          expect(bytesOf(sparse)).toEqual(bytesOf(dense));
          expect(bytesOf(sparse)).toEqual(referenceSerialize(precision, registers));
        }
      }
      expect(wasDense).toBe(true);
    }
  }, 60_000);

  it('costs bytes, not kilobytes, for a rarely seen key', () => {
    const state = ['a', 'b', 'c', 'd', 'e'].reduce(addToHyperLogLog, emptyHyperLogLog(14));
    expect(isSparseHyperLogLog(state)).toBe(true);
    if (!isSparseHyperLogLog(state)) throw new Error('unreachable');
    expect(state.entries.byteLength).toBeLessThanOrEqual(32);
    expect(state.size).toBe(5);
  });

  it('encodes any registers exactly as the codec always did, and decodes every encoding it ever wrote', () => {
    const registersArbitrary = fc
      .record({
        precision: fc.constantFrom(4, 6, 10, 12),
        fill: fc.double({ min: 0, max: 1, noNaN: true }),
        seed: fc.nat(),
      })
      .map(({ precision, fill, seed }) => {
        const registers = new Uint8Array(2 ** precision);
        let x = seed;
        for (let index = 0; index < registers.length; index++) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          if (x / 2 ** 32 < fill) registers[index] = 1 + (x % (65 - precision));
        }
        return { precision, registers };
      });
    fc.assert(
      fc.property(registersArbitrary, ({ precision, registers }) => {
        const reference = referenceSerialize(precision, registers);
        const dense: HyperLogLogState = { precision, registers };
        expect(bytesOf(dense)).toEqual(reference);
        const decoded = hyperLogLogCodec.deserialize(Uint8Array.from(reference));
        expect(hyperLogLogRegisters(decoded)).toEqual(registers);
        expect(bytesOf(decoded)).toEqual(reference);
        expect(estimateCardinality(decoded)).toBe(estimateCardinality(dense));
        // The same registers held sparse (however many) encode alike too.
        const entries = [...registers.entries()]
          .filter(([, register]) => register !== 0)
          .map(([index, register]) => index * 64 + register);
        const sparse: HyperLogLogState = {
          precision,
          entries: Uint32Array.from(entries),
          size: entries.length,
        };
        expect(bytesOf(sparse)).toEqual(reference);
        expect(estimateCardinality(sparse)).toBe(estimateCardinality(dense));
      }),
      { numRuns: 60 },
    );
    // Bytes written before sparse states existed: a dense and a sparse encoding of precision 4.
    const dense = Uint8Array.from([7, 1, 4, 0, 1, 0, 2, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 5, 0, 1]);
    expect(hyperLogLogRegisters(hyperLogLogCodec.deserialize(dense))).toEqual(dense.subarray(4));
    const sparse = Uint8Array.from([7, 1, 4, 1, 2, 3, 9, 4, 2]);
    const decoded = hyperLogLogCodec.deserialize(sparse);
    expect(isSparseHyperLogLog(decoded)).toBe(true);
    expect([...hyperLogLogRegisters(decoded)]).toEqual([0, 0, 0, 9, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...hyperLogLogCodec.serialize(decoded)]).toEqual([...sparse]);
  });

  it('merges bit-identically across layers: batch (dense), speed increments in Redis (sparse), serving (decoded)', () => {
    // Users of one key and hour spread over Kafka partitions and micro-batches; the batch layer folded some
    // epochs (dense registers), the speed layer the others: each partition's cell folded in memory batch after
    // batch (sparse while small), its codec bytes written to Redis after every batch; serving decodes the batch
    // view's bytes and every partition's Redis bytes and merges them in any order.
    const scenario = fc.record({
      precision: fc.constantFrom(12, 14),
      users: fc.integer({ min: 0, max: 3000 }),
      batchShare: fc.double({ min: 0, max: 1, noNaN: true }),
      partitions: fc.integer({ min: 1, max: 4 }),
      microBatches: fc.integer({ min: 1, max: 6 }),
      order: fc.array(fc.nat(), { maxLength: 8 }),
      seed: fc.nat(),
    });
    fc.assert(
      fc.property(scenario, ({ precision, users, batchShare, partitions, microBatches, order, seed }) => {
        const distinct = hyperLogLog((value: string) => value, { precision });
        const values = Array.from({ length: users }, (_, i) => `u${(i * 7919 + seed) % (users + 1)}`);
        const cut = Math.floor(values.length * batchShare);
        const batchBytes = distinct.codec.serialize(denseOf(precision, values.slice(0, cut)));
        const redis: Uint8Array[] = [];
        for (let p = 0; p < partitions; p++) {
          const mine = values.slice(cut).filter((_, i) => i % partitions === p);
          let cached = distinct.zero;
          let stored: Uint8Array | undefined;
          for (let b = 0; b < microBatches; b++) {
            const slice = mine.filter((_, i) => i % microBatches === b);
            for (const value of slice) cached = distinct.append(cached, value);
            // What a restarted speed layer does instead: decode Redis's bytes and add the batch's delta.
            const reloaded =
              stored === undefined
                ? fold(distinct, slice)
                : distinct.plus(distinct.codec.deserialize(stored), fold(distinct, slice));
            stored = distinct.codec.serialize(cached);
            expect([...distinct.codec.serialize(reloaded)]).toEqual([...stored]);
          }
          if (stored !== undefined) redis.push(stored);
        }
        const parts = splitAt([batchBytes, ...redis], order).flat();
        const served = parts
          .map((bytes) => distinct.codec.deserialize(bytes))
          .reduce((left, right) => distinct.plus(left, right), distinct.zero);
        const whole = denseOf(precision, values);
        expect(bytesOf(served)).toEqual(bytesOf(whole));
        expect(distinct.present(served)).toBe(estimateCardinality(whole));
      }),
      { numRuns: 25 },
    );
  });
});
