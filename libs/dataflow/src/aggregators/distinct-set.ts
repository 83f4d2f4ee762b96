/**
 * Exact sets of distinct values, for small cardinalities (use `hyperLogLog` for large ones).
 */
import type { Aggregator, Monoid } from './algebra.ts';
import { ByteReader, ByteWriter, FORMAT_TAGS } from './binary.ts';
import {
  canonicalValue,
  compareValues,
  type HashableInput,
  type HashableValue,
  isHashable,
} from './values.ts';

/**
 * Set union: a commutative, idempotent monoid whose `zero` (a getter) is a fresh empty set.
 * `plus` returns a new set and never mutates its arguments.
 *
 * @example
 * ```ts
 * const union = setUnionMonoid<string>();
 * union.plus(new Set(['a']), new Set(['b'])); // Set { 'a', 'b' }
 * ```
 */
export function setUnionMonoid<T>(): Monoid<ReadonlySet<T>> {
  return {
    get zero(): ReadonlySet<T> {
      return new Set<T>();
    },
    plus(left, right) {
      const union = new Set<T>(left);
      for (const value of right) union.add(value);
      return union;
    },
  };
}

const distinctSetCodec = {
  serialize(value: ReadonlySet<HashableValue>): Uint8Array {
    const sorted = [...value].sort(compareValues);
    const writer = new ByteWriter().byte(FORMAT_TAGS.distinctSet).byte(1).varuint(sorted.length);
    for (const item of sorted) writer.value(item);
    return writer.finish();
  },
  deserialize(bytes: Uint8Array): Set<HashableValue> {
    const reader = new ByteReader(bytes, 'distinct-set state');
    reader.header(FORMAT_TAGS.distinctSet, 1);
    const size = reader.varuint();
    const set = new Set<HashableValue>();
    for (let index = 0; index < size; index++) set.add(reader.value());
    if (set.size !== size) reader.fail('duplicate values');
    reader.end();
    return set;
  },
};

/**
 * The exact set of distinct `extract(input)` values, presented sorted (booleans, numbers, bigints,
 * then strings). `null`, `undefined` and `NaN` are skipped; `-0` counts as `0`. State and bytes grow
 * with the number of distinct values: meant for small sets (status codes, countries).
 *
 * @example
 * ```ts
 * aggregate(distinctSet((e: { status: number }) => e.status), events); // [200, 404, 500]
 * ```
 */
export function distinctSet<In, V extends HashableValue>(
  extract: (input: In) => V | null | undefined,
): Aggregator<In, ReadonlySet<V>, V[]> {
  const union = setUnionMonoid<V>();
  return {
    kind: 'distinctSet',
    inputs: [extract],
    commutative: true,
    approximate: false,
    errorBound: { kind: 'exact' },
    // The codec decodes any hashable values; the values it reads are those a V-typed state wrote.
    codec: distinctSetCodec as unknown as Aggregator<In, ReadonlySet<V>, V[]>['codec'],
    get zero() {
      return union.zero;
    },
    plus: union.plus,
    prepare(input) {
      const value: HashableInput = extract(input);
      return isHashable(value) ? new Set([canonicalValue(value) as V]) : new Set<V>();
    },
    append(state, input) {
      const value: HashableInput = extract(input);
      if (!isHashable(value)) return state;
      // The fold owns `state` (see Aggregator.append): states are always created as mutable Sets.
      (state as Set<V>).add(canonicalValue(value) as V);
      return state;
    },
    present: (state) => [...state].sort(compareValues),
  };
}
