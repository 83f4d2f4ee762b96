/**
 * Shared property tests for aggregators: monoid and group laws, codec round trips, purity and
 * split invariance, checked on states folded from generated inputs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataflowError } from '../../errors.ts';
import { type Aggregator, fold, type GroupAggregator, sumAll } from '../algebra.ts';

/** How the law suite compares states and which laws it checks exactly. */
export interface LawOptions<State> {
  /** Runs per property (keep small: the suite shares 2 cores). */
  readonly numRuns?: number;
  /** Asserts two states are equal; default: equal codec bytes (every codec here is canonical). */
  readonly expectEqual?: (actual: State, expected: State) => void;
  /** Whether associativity and split invariance hold exactly for these inputs (default true). */
  readonly exactlyAssociative?: boolean;
  /** Whether decoded states equal the originals field by field (default true; a heap's layout may differ). */
  readonly decodesToSameLayout?: boolean;
}

/** Splits `items` at the given cut points (taken modulo its length) into consecutive parts. */
export function splitAt<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((cut) => (items.length === 0 ? 0 : cut % (items.length + 1))))].sort(
    (a, b) => a - b,
  );
  const parts: T[][] = [];
  let start = 0;
  for (const point of points) {
    parts.push(items.slice(start, point));
    start = point;
  }
  parts.push(items.slice(start));
  return parts;
}

/** Registers the monoid, codec, purity and split-invariance laws of `aggregator` over `input`. */
export function describeAggregatorLaws<In, State, Out>(
  name: string,
  aggregator: Aggregator<In, State, Out>,
  input: fc.Arbitrary<In>,
  options: LawOptions<State> = {},
): void {
  const numRuns = options.numRuns ?? 40;
  const bytes = (state: State) => aggregator.codec.serialize(state);
  const expectEqual =
    options.expectEqual ??
    ((actual: State, expected: State): void => {
      expect(bytes(actual)).toEqual(bytes(expected));
    });
  const inputs = fc.array(input, { maxLength: 40 });
  const state = inputs.map((values) => fold(aggregator, values));

  describe(`${name} laws`, () => {
    if (options.exactlyAssociative ?? true) {
      it('plus is associative', () => {
        fc.assert(
          fc.property(state, state, state, (a, b, c) => {
            expectEqual(aggregator.plus(aggregator.plus(a, b), c), aggregator.plus(a, aggregator.plus(b, c)));
          }),
          { numRuns },
        );
      });
    }

    it('zero is an identity on both sides', () => {
      fc.assert(
        fc.property(state, (a) => {
          expectEqual(aggregator.plus(aggregator.zero, a), a);
          expectEqual(aggregator.plus(a, aggregator.zero), a);
        }),
        { numRuns },
      );
    });

    if (aggregator.commutative) {
      it('plus is commutative, as claimed', () => {
        fc.assert(
          fc.property(state, state, (a, b) => {
            expectEqual(aggregator.plus(a, b), aggregator.plus(b, a));
          }),
          { numRuns },
        );
      });
    }

    it('plus and present never mutate their arguments', () => {
      fc.assert(
        fc.property(state, state, (a, b) => {
          const before = [bytes(a), bytes(b)];
          aggregator.plus(a, b);
          aggregator.present(a);
          expect([bytes(a), bytes(b)]).toEqual(before);
        }),
        { numRuns },
      );
    });

    it('append into a state from plus leaves the merged states untouched', () => {
      fc.assert(
        fc.property(state, inputs, (a, more) => {
          const before = bytes(a);
          let merged = aggregator.plus(aggregator.zero, a);
          for (const value of more) merged = aggregator.append(merged, value);
          expect(bytes(a)).toEqual(before);
        }),
        { numRuns },
      );
    });

    it('prepare(x) equals append(zero, x)', () => {
      fc.assert(
        fc.property(input, (value) => {
          expectEqual(aggregator.prepare(value), aggregator.append(aggregator.zero, value));
        }),
        { numRuns },
      );
    });

    it('codec round-trips states, which stay mergeable', () => {
      fc.assert(
        fc.property(state, state, (a, b) => {
          const decoded = aggregator.codec.deserialize(bytes(a));
          expectEqual(decoded, a);
          if (options.decodesToSameLayout ?? true) expect(decoded).toEqual(a);
          expect(aggregator.present(decoded)).toEqual(aggregator.present(a));
          expectEqual(aggregator.plus(decoded, b), aggregator.plus(a, b));
        }),
        { numRuns },
      );
    });

    it('codec rejects truncated, extended and foreign bytes with OXBOW_SERIALIZATION', () => {
      fc.assert(
        fc.property(state, fc.uint8Array({ minLength: 1, maxLength: 8 }), (a, extra) => {
          const valid = bytes(a);
          const withTrailing = new Uint8Array([...valid, ...extra]);
          expectSerializationError(() => aggregator.codec.deserialize(valid.subarray(0, valid.length - 1)));
          expectSerializationError(() => aggregator.codec.deserialize(withTrailing));
          expectSerializationError(() =>
            aggregator.codec.deserialize(new Uint8Array([0xee, ...valid.subarray(1)])),
          );
        }),
        { numRuns },
      );
      expectSerializationError(() => aggregator.codec.deserialize(new Uint8Array()));
    });

    it('codec fails only with OXBOW_SERIALIZATION on random bytes after a valid header', () => {
      const header = bytes(aggregator.zero).subarray(0, 2);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 40 }), (tail) => {
          try {
            aggregator.codec.deserialize(new Uint8Array([...header, ...tail]));
          } catch (error) {
            expect(DataflowError.is(error, 'OXBOW_SERIALIZATION')).toBe(true);
          }
        }),
        { numRuns: numRuns * 5 },
      );
    });

    if (options.exactlyAssociative ?? true) {
      it('folding in one piece equals folding any split and merging the parts', () => {
        fc.assert(
          fc.property(
            fc.array(input, { maxLength: 80 }),
            fc.array(fc.nat(), { maxLength: 6 }),
            (values, cuts) => {
              const whole = fold(aggregator, values);
              const parts = splitAt(values, cuts).map((part) => fold(aggregator, part));
              expectEqual(sumAll(aggregator, parts), whole);
              expect(aggregator.present(sumAll(aggregator, parts))).toEqual(aggregator.present(whole));
            },
          ),
          { numRuns },
        );
      });
    }
  });
}

/** Registers the group laws (`a + (−a) = 0`, `a − b = a + (−b)`) of a group aggregator. */
export function describeGroupLaws<In, State, Out>(
  name: string,
  aggregator: GroupAggregator<In, State, Out>,
  input: fc.Arbitrary<In>,
  numRuns = 40,
): void {
  const state = fc.array(input, { maxLength: 40 }).map((values) => fold(aggregator, values));
  describe(`${name} group laws`, () => {
    it('plus(a, negate(a)) equals zero', () => {
      fc.assert(
        fc.property(state, (a) => {
          expect(aggregator.plus(a, aggregator.negate(a))).toEqual(aggregator.zero);
          expect(aggregator.plus(aggregator.negate(a), a)).toEqual(aggregator.zero);
        }),
        { numRuns },
      );
    });

    it('minus(a, b) equals plus(a, negate(b)) and undoes plus', () => {
      fc.assert(
        fc.property(state, state, (a, b) => {
          expect(aggregator.minus(a, b)).toEqual(aggregator.plus(a, aggregator.negate(b)));
          expect(aggregator.minus(aggregator.plus(a, b), b)).toEqual(a);
        }),
        { numRuns },
      );
    });
  });
}

/** Asserts `run` throws a `DataflowError` with code `OXBOW_SERIALIZATION`. */
export function expectSerializationError(run: () => unknown): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(
    DataflowError.is(thrown, 'OXBOW_SERIALIZATION'),
    `expected OXBOW_SERIALIZATION, got ${String(thrown)}`,
  ).toBe(true);
}
