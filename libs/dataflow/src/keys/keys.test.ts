import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashPartitioner, RangePartitioner } from '../partitioner.ts';
import { hashCode, stringHashCode } from './java-hash.ts';
import { canonicalKey, KeyMap } from './key-map.ts';
import { naturalCompare } from './ordering.ts';

describe('JVM-compatible hash codes', () => {
  // Expected values printed by the JVM (java 17): "…".hashCode(), Double.hashCode(…).
  it('match java.lang.String#hashCode, Integer#hashCode, Double#hashCode and Boolean#hashCode', () => {
    expect(stringHashCode('hello')).toBe(99162322);
    expect(stringHashCode('')).toBe(0);
    expect(stringHashCode('Oxbow lake, a river that became a lake')).toBe(-730802159);
    expect(stringHashCode('héllo wörld ✓')).toBe(1283059084);
    expect(hashCode(-2.25e10)).toBe(-971705237);
    expect(hashCode(42)).toBe(42);
    expect(hashCode(-7)).toBe(-7);
    expect(hashCode(1.5)).toBe(1073217536);
    expect(hashCode(true)).toBe(1231);
    expect(hashCode(null)).toBe(0);
  });

  it('HashPartitioner places keys in [0, n) like Spark', () => {
    const partitioner = new HashPartitioner(3);
    expect(partitioner.getPartition('hello')).toBe(99162322 % 3);
    expect(partitioner.getPartition(-7)).toBe(2);
    fc.assert(
      fc.property(fc.anything(), fc.integer({ min: 1, max: 50 }), (key, n) => {
        const p = new HashPartitioner(n).getPartition(key);
        return Number.isInteger(p) && p >= 0 && p < n;
      }),
    );
  });
});

describe('KeyMap and canonical keys', () => {
  it('treats structurally equal composite keys as one and keeps primitive kinds apart', () => {
    const map = new KeyMap<unknown, number>();
    map.set(['a', 1], 1).set(['a', 1], 2).set('1', 3).set(1, 4).set({ b: 1, a: 2 }, 5).set({ a: 2, b: 1 }, 6);
    expect(map.size).toBe(4);
    expect(map.get(['a', 1])).toBe(2);
    expect(map.get({ a: 2, b: 1 })).toBe(6);
    expect(map.get('1')).toBe(3);
    expect(map.get(1)).toBe(4);
  });

  it('canonicalKey is injective on distinct values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        if (canonicalKey(a) === canonicalKey(b)) expect(a).toEqual(b);
      }),
    );
    expect(canonicalKey([undefined])).not.toBe(canonicalKey([null]));
  });
});

describe('natural ordering and range partitioning', () => {
  it('orders numbers numerically, strings by code unit and arrays lexicographically', () => {
    expect([10, 9, -1, 2].sort(naturalCompare)).toEqual([-1, 2, 9, 10]);
    expect(['b', 'B', 'a'].sort(naturalCompare)).toEqual(['B', 'a', 'b']);
    expect([[1, 2], [1], [0, 5]].sort(naturalCompare)).toEqual([[0, 5], [1], [1, 2]]);
  });

  it('RangePartitioner keeps keys ordered across partitions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 8 }),
        (keys, n) => {
          const partitioner = RangePartitioner.fromWeightedSample(
            keys.map((k) => [k, 1] as const),
            n,
            true,
          );
          const sorted = [...keys].sort((a, b) => a - b);
          const partitions = sorted.map((k) => partitioner.getPartition(k));
          for (let i = 1; i < partitions.length; i++)
            expect(partitions[i]).toBeGreaterThanOrEqual(partitions[i - 1] ?? 0);
          for (const p of partitions) expect(p).toBeLessThan(n);
        },
      ),
    );
  });
});
