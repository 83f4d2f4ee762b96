/**
 * Every RDD operator against a naive array implementation, on generated data and partition counts (including
 * empty RDDs, one-element partitions and far more partitions than elements), in-process (parallelism 1) and on
 * worker threads (parallelism 2). Results must not depend on partitioning or on where tasks ran.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DataflowContext } from '../context.ts';
import { canonicalKey } from '../keys/key-map.ts';

const inProcess = new DataflowContext({ parallelism: 1 });
const threaded = new DataflowContext({ parallelism: 2 });
afterAll(async () => {
  await inProcess.stop();
  await threaded.stop();
});

const contexts = [
  ['parallelism 1', inProcess],
  ['parallelism 2', threaded],
] as const;

const RUNS = { numRuns: 15 };
const ints = fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 40 });
const slices = fc.integer({ min: 1, max: 9 });
const pairs = fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: -20, max: 20 })), {
  maxLength: 40,
});
const maybeValues = fc.array(
  fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.oneof(fc.constant(null), fc.constant(undefined), fc.integer())),
  { maxLength: 20 },
);

/** Order-insensitive form of a collection, for operators whose output order is unspecified. */
function bag(values: readonly unknown[]): string[] {
  return values.map((v) => canonicalKey(v)).sort();
}

function groupNaive<K, V>(data: readonly [K, V][]): Map<string, { key: K; values: V[] }> {
  const groups = new Map<string, { key: K; values: V[] }>();
  for (const [k, v] of data) {
    const id = canonicalKey(k);
    const group = groups.get(id) ?? { key: k, values: [] };
    group.values.push(v);
    groups.set(id, group);
  }
  return groups;
}

describe.each(contexts)('RDD operators (%s)', (_label, ctx) => {
  it('parallelize slices like Spark: partition i holds ⌊i·n/s⌋ … ⌊(i+1)·n/s⌋', async () => {
    await fc.assert(
      fc.asyncProperty(ints, slices, async (data, s) => {
        const glommed = await ctx.parallelize(data, s).glom().collect();
        const n = data.length;
        const expected = Array.from({ length: s }, (_, i) =>
          data.slice(Math.floor((i * n) / s), Math.floor(((i + 1) * n) / s)),
        );
        expect(glommed).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('map, flatMap, filter, mapPartitionsWithIndex keep order', async () => {
    await fc.assert(
      fc.asyncProperty(ints, slices, async (data, s) => {
        const rdd = ctx.parallelize(data, s);
        expect(await rdd.map((x) => x * 2 + 1).collect()).toEqual(data.map((x) => x * 2 + 1));
        expect(await rdd.flatMap((x) => (x > 0 ? [x, -x] : [])).collect()).toEqual(
          data.flatMap((x) => (x > 0 ? [x, -x] : [])),
        );
        expect(await rdd.filter((x) => x % 3 === 0).collect()).toEqual(data.filter((x) => x % 3 === 0));
        const tagged = await rdd
          .mapPartitionsWithIndex((i, it) =>
            Array.from({ length: 1 }, () => [i, [...{ [Symbol.iterator]: () => it }].length]),
          )
          .collect();
        expect(tagged.map(([i]) => i)).toEqual(Array.from({ length: s }, (_, i) => i));
        expect(tagged.reduce((sum, [, n]) => sum + (n as number), 0)).toBe(data.length);
      }),
      RUNS,
    );
  });

  it('count, sum, reduce, max, min, first, take, isEmpty, takeOrdered, top', async () => {
    await fc.assert(
      fc.asyncProperty(ints, slices, fc.integer({ min: 0, max: 12 }), async (data, s, n) => {
        const rdd = ctx.parallelize(data, s);
        expect(await rdd.count()).toBe(data.length);
        expect(await rdd.sum()).toBe(data.reduce((a, b) => a + b, 0));
        expect(await rdd.isEmpty()).toBe(data.length === 0);
        expect(await rdd.take(n)).toEqual(data.slice(0, n));
        const ascending = [...data].sort((a, b) => a - b);
        expect(await rdd.takeOrdered(n)).toEqual(ascending.slice(0, n));
        expect(await rdd.top(n)).toEqual([...ascending].reverse().slice(0, n));
        if (data.length === 0) {
          await expect(rdd.reduce((a, b) => a + b)).rejects.toThrow('empty collection');
          await expect(rdd.first()).rejects.toThrow('empty collection');
        } else {
          expect(await rdd.reduce((a, b) => a + b)).toBe(data.reduce((a, b) => a + b, 0));
          expect(await rdd.max()).toBe(Math.max(...data));
          expect(await rdd.min()).toBe(Math.min(...data));
          expect(await rdd.first()).toBe(data[0]);
        }
      }),
      RUNS,
    );
  });

  it('fold and aggregate apply the zero value once per partition and once more when merging, as Spark', async () => {
    await fc.assert(
      fc.asyncProperty(ints, slices, async (data, s) => {
        const rdd = ctx.parallelize(data, s);
        const total = data.reduce((a, b) => a + b, 0);
        expect(await rdd.fold(1, (a, b) => a + b)).toBe(total + s + 1);
        expect(
          await rdd.aggregate(
            [0, 0] as [number, number],
            (acc, x): [number, number] => [acc[0] + x, acc[1] + 1],
            (a, b): [number, number] => [a[0] + b[0], a[1] + b[1]],
          ),
        ).toEqual([total, data.length]);
      }),
      RUNS,
    );
  });

  it('stats and mean match a two-pass computation', async () => {
    await fc.assert(
      fc.asyncProperty(ints, slices, async (data, s) => {
        const stats = await ctx.parallelize(data, s).stats();
        expect(stats.count).toBe(data.length);
        if (data.length === 0) {
          expect(stats.mean).toBe(0);
          expect(stats.variance).toBeNaN();
          return;
        }
        const mean = data.reduce((a, b) => a + b, 0) / data.length;
        const variance = data.reduce((a, x) => a + (x - mean) ** 2, 0) / data.length;
        expect(stats.mean).toBeCloseTo(mean, 9);
        expect(stats.variance).toBeCloseTo(variance, 7);
        expect(stats.max).toBe(Math.max(...data));
        expect(stats.min).toBe(Math.min(...data));
        expect(await ctx.parallelize(data, s).mean()).toBeCloseTo(mean, 9);
      }),
      RUNS,
    );
  });

  it('distinct, union, intersection, subtract, cartesian', async () => {
    await fc.assert(
      fc.asyncProperty(ints, ints, slices, slices, async (a, b, s1, s2) => {
        const left = ctx.parallelize(a, s1);
        const right = ctx.parallelize(b, s2);
        expect(bag(await left.distinct().collect())).toEqual(bag([...new Set(a)]));
        expect(await left.union(right).collect()).toEqual([...a, ...b]);
        expect(bag(await left.intersection(right).collect())).toEqual(
          bag([...new Set(a.filter((x) => b.includes(x)))]),
        );
        expect(bag(await left.subtract(right).collect())).toEqual(bag(a.filter((x) => !b.includes(x))));
        const cartesian = await left.cartesian(right).collect();
        expect(bag(cartesian)).toEqual(bag(a.flatMap((x) => b.map((y) => [x, y]))));
        expect(left.cartesian(right).getNumPartitions()).toBe(s1 * s2);
      }),
      RUNS,
    );
  });

  it('zip, zipWithIndex, keyBy, glom, coalesce, repartition', async () => {
    await fc.assert(
      fc.asyncProperty(ints, slices, slices, async (data, s, target) => {
        const rdd = ctx.parallelize(data, s);
        expect(await rdd.zip(rdd.map((x) => -x)).collect()).toEqual(data.map((x) => [x, -x]));
        expect(await rdd.zipWithIndex().collect()).toEqual(data.map((x, i) => [x, i]));
        expect(await rdd.keyBy((x) => x % 4).collect()).toEqual(data.map((x) => [x % 4, x]));
        const coalesced = rdd.coalesce(target);
        expect(coalesced.getNumPartitions()).toBe(Math.min(target, s));
        expect(await coalesced.collect()).toEqual(data);
        const repartitioned = rdd.repartition(target);
        expect(repartitioned.getNumPartitions()).toBe(target);
        expect(bag(await repartitioned.collect())).toEqual(bag(data));
      }),
      RUNS,
    );
  });

  it('sample keeps a subset, the same one for the same seed', async () => {
    await fc.assert(
      fc.asyncProperty(ints, slices, fc.integer(), async (data, s, seed) => {
        const rdd = ctx.parallelize(data, s);
        const once = await rdd.sample(false, 0.5, seed).collect();
        expect(await rdd.sample(false, 0.5, seed).collect()).toEqual(once);
        let cursor = 0;
        for (const x of once) {
          while (cursor < data.length && data[cursor] !== x) cursor++;
          expect(cursor).toBeLessThan(data.length);
          cursor++;
        }
        expect(await rdd.sample(false, 0, seed).count()).toBe(0);
        expect(await rdd.sample(false, 1, seed).collect()).toEqual(data);
      }),
      RUNS,
    );
  });

  it('sortBy and sortByKey sort totally, ascending and descending, into any number of partitions', async () => {
    await fc.assert(
      fc.asyncProperty(pairs, slices, slices, fc.boolean(), async (data, s, target, ascending) => {
        const rdd = ctx.parallelize(data, s);
        const sorted = await rdd.sortByKey(ascending, target).collect();
        const expectedKeys = data.map(([k]) => k).sort((a, b) => (ascending ? a - b : b - a));
        expect(sorted.map(([k]) => k)).toEqual(expectedKeys);
        expect(bag(sorted)).toEqual(bag(data));
        expect(
          await ctx
            .parallelize(
              data.map(([, v]) => v),
              s,
            )
            .sortBy((x) => x, ascending, target)
            .collect(),
        ).toEqual(data.map(([, v]) => v).sort((a, b) => (ascending ? a - b : b - a)));
      }),
      RUNS,
    );
  });

  it('reduceByKey, foldByKey, aggregateByKey, combineByKey, groupByKey, countByKey, countByValue', async () => {
    await fc.assert(
      fc.asyncProperty(pairs, slices, fc.option(slices, { nil: undefined }), async (data, s, reducers) => {
        const rdd = ctx.parallelize(data, s);
        const groups = [...groupNaive(data).values()];
        const sums = groups.map(({ key, values }) => [key, values.reduce((a, b) => a + b, 0)]);
        expect(bag(await rdd.reduceByKey((a, b) => a + b, reducers).collect())).toEqual(bag(sums));
        expect(bag(await rdd.foldByKey(0, (a, b) => a + b, reducers).collect())).toEqual(bag(sums));
        expect(
          bag(
            await rdd
              .aggregateByKey(
                0,
                (acc, _v) => acc + 1,
                (a, b) => a + b,
                reducers,
              )
              .collect(),
          ),
        ).toEqual(bag(groups.map(({ key, values }) => [key, values.length])));
        expect(
          bag(
            await rdd
              .combineByKey(
                (v) => [v],
                (c: number[], v) => [...c, v],
                (a, b) => [...a, ...b],
                reducers,
              )
              .mapValues((vs) => [...vs].sort((a, b) => a - b))
              .collect(),
          ),
        ).toEqual(bag(groups.map(({ key, values }) => [key, [...values].sort((a, b) => a - b)])));
        expect(
          bag(
            await rdd
              .groupByKey(reducers)
              .mapValues((vs) => vs.sort((a, b) => a - b))
              .collect(),
          ),
        ).toEqual(bag(groups.map(({ key, values }) => [key, [...values].sort((a, b) => a - b)])));
        expect([...(await rdd.countByKey()).entries()].sort()).toEqual(
          groups.map(({ key, values }) => [key, values.length]).sort(),
        );
        const values = data.map(([, v]) => v);
        expect([...(await ctx.parallelize(values, s).countByValue()).entries()].sort()).toEqual(
          [...groupNaive(values.map((v) => [v, 1])).values()]
            .map(({ key, values: ones }) => [key, ones.length])
            .sort(),
        );
      }),
      RUNS,
    );
  });

  it('joins and cogroup match nested loops, whatever the partition counts', async () => {
    await fc.assert(
      fc.asyncProperty(pairs, pairs, slices, slices, async (a, b, s1, s2) => {
        const left = ctx.parallelize(a, s1);
        const right = ctx.parallelize(b, s2);
        const inner = a.flatMap(([k, v]) => b.filter(([k2]) => k2 === k).map(([, w]) => [k, [v, w]]));
        const leftOnly = a.filter(([k]) => !b.some(([k2]) => k2 === k)).map(([k, v]) => [k, [v, undefined]]);
        const rightOnly = b.filter(([k]) => !a.some(([k2]) => k2 === k)).map(([k, w]) => [k, [undefined, w]]);
        expect(bag(await left.join(right).collect())).toEqual(bag(inner));
        expect(bag(await left.leftOuterJoin(right).collect())).toEqual(bag([...inner, ...leftOnly]));
        expect(bag(await left.rightOuterJoin(right).collect())).toEqual(bag([...inner, ...rightOnly]));
        expect(bag(await left.fullOuterJoin(right, 3).collect())).toEqual(
          bag([...inner, ...leftOnly, ...rightOnly]),
        );
        expect(bag(await left.subtractByKey(right).collect())).toEqual(
          bag(a.filter(([k]) => !b.some(([k2]) => k2 === k))),
        );
        const cogrouped = await left
          .cogroup(right)
          .mapValues(([vs, ws]) => [[...vs].sort((x, y) => x - y), [...ws].sort((x, y) => x - y)])
          .collect();
        const keys = [...new Set([...a, ...b].map(([k]) => k))];
        expect(bag(cogrouped)).toEqual(
          bag(
            keys.map((k) => [
              k,
              [
                a
                  .filter(([x]) => x === k)
                  .map(([, v]) => v)
                  .sort((x, y) => x - y),
                b
                  .filter(([x]) => x === k)
                  .map(([, v]) => v)
                  .sort((x, y) => x - y),
              ],
            ]),
          ),
        );
      }),
      RUNS,
    );
  });

  it('keys, values, mapValues, flatMapValues, collectAsMap, lookup, groupBy with null and undefined values', async () => {
    await fc.assert(
      fc.asyncProperty(maybeValues, slices, async (data, s) => {
        const rdd = ctx.parallelize(data, s);
        expect(await rdd.keys().collect()).toEqual(data.map(([k]) => k));
        expect(await rdd.values().collect()).toEqual(data.map(([, v]) => v));
        expect(await rdd.mapValues((v) => v ?? 'missing').collect()).toEqual(
          data.map(([k, v]) => [k, v ?? 'missing']),
        );
        expect(await rdd.flatMapValues((v) => [v, v]).collect()).toEqual(
          data.flatMap(([k, v]) => [
            [k, v],
            [k, v],
          ]),
        );
        const asMap = await rdd.collectAsMap();
        expect([...asMap.entries()].sort()).toEqual([...new Map(data).entries()].sort());
        const grouped = rdd.groupByKey(2);
        expect(bag(await grouped.lookup('a').then((r) => r.flat()))).toEqual(
          bag(data.filter(([k]) => k === 'a').map(([, v]) => v)),
        );
        expect(
          bag(
            await rdd
              .groupBy(([k]) => k)
              .mapValues((vs) => vs.length)
              .collect(),
          ),
        ).toEqual(bag([...groupNaive(data).values()].map(({ key, values }) => [key, values.length])));
      }),
      RUNS,
    );
  });

  it('tuple and object keys group by value, not identity', async () => {
    const data: [[string, number], number][] = [
      [['a', 1], 1],
      [['a', 1], 2],
      [['b', 1], 3],
    ];
    const grouped = await ctx
      .parallelize(data, 3)
      .reduceByKey((a, b) => a + b)
      .collect();
    expect(bag(grouped)).toEqual(
      bag([
        [['a', 1], 3],
        [['b', 1], 3],
      ]),
    );
  });

  it('cache reuses computed partitions across jobs', async () => {
    const rdd = ctx
      .range(0, 100, 1, 4)
      .map((x) => x * 2)
      .cache();
    expect(await rdd.sum()).toBe(9900);
    expect(ctx.hasCachedPartition(rdd.id, 3)).toBe(true);
    expect(await rdd.count()).toBe(100);
    rdd.unpersist();
    expect(ctx.hasCachedPartition(rdd.id, 3)).toBe(false);
  });
});
