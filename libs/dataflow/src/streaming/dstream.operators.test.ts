/**
 * DStream operators through the deterministic harness, with Spark Streaming's expected outputs (from Spark's
 * BasicOperationsSuite and WindowOperationsSuite): window alignment, keys kept at 0 by an inverse reduce, state
 * functions called on every batch.
 */
import { describe, expect, it } from 'vitest';
import { runStream, runStream2 } from '../testing/index.ts';
import { unordered } from './test-support/unordered.ts';

const bigInput: [string, number][][] = [
  [['a', 1]],
  [
    ['a', 1],
    ['b', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
    ['c', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
  ],
  [['a', 1]],
  [],
  [['a', 1]],
  [
    ['a', 1],
    ['b', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
    ['c', 1],
  ],
  [
    ['a', 1],
    ['b', 1],
  ],
  [['a', 1]],
  [],
];

describe('DStream basic operations', () => {
  it('map, flatMap, filter, glom and mapPartitions apply per batch', async () => {
    const input = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ];
    expect(await runStream(input, (s) => s.map((x) => String(x)))).toEqual(input.map((b) => b.map(String)));
    expect(await runStream(input, (s) => s.flatMap((x) => [x, x * 2]))).toEqual(
      input.map((b) => b.flatMap((x) => [x, x * 2])),
    );
    expect(await runStream(input, (s) => s.filter((x) => x % 2 === 0))).toEqual(
      input.map((b) => b.filter((x) => x % 2 === 0)),
    );
    expect(await runStream(input, (s) => s.glom())).toEqual(input.map((b) => [b.slice(0, 2), b.slice(2)]));
    expect(
      await runStream(input, (s) =>
        s.mapPartitions((it) => [[...{ [Symbol.iterator]: () => it }].reduce((a, b) => a + b, 0)]),
      ),
    ).toEqual(input.map(([w = 0, x = 0, y = 0, z = 0]) => [w + x, y + z]));
  });

  it('count gives one element per batch, 0 for an empty batch; reduce gives nothing for one', async () => {
    const input = [[1, 2, 3], [], [4]];
    expect(await runStream(input, (s) => s.count())).toEqual([[3], [0], [1]]);
    expect(await runStream(input, (s) => s.reduce((a, b) => a + b))).toEqual([[6], [], [4]]);
  });

  it('countByValue, reduceByKey, groupByKey, combineByKey, mapValues, flatMapValues', async () => {
    const input = [['a', 'a', 'b'], ['', ''], []];
    expect(unordered(await runStream(input, (s) => s.countByValue()))).toEqual(
      unordered([
        [
          ['a', 2],
          ['b', 1],
        ],
        [['', 2]],
        [],
      ]),
    );
    const pairs: [string, number][][] = [
      [
        ['a', 1],
        ['a', 2],
        ['b', 3],
      ],
      [['c', 4]],
    ];
    expect(unordered(await runStream(pairs, (s) => s.reduceByKey((a, b) => a + b)))).toEqual(
      unordered([
        [
          ['a', 3],
          ['b', 3],
        ],
        [['c', 4]],
      ]),
    );
    expect(unordered(await runStream(pairs, (s) => s.groupByKey().mapValues((vs) => vs.sort())))).toEqual(
      unordered([
        [
          ['a', [1, 2]],
          ['b', [3]],
        ],
        [['c', [4]]],
      ]),
    );
    expect(
      unordered(
        await runStream(pairs, (s) =>
          s
            .combineByKey(
              (v) => `${v}`,
              (c: string, v) => c + v,
              (a, b) => a + b,
            )
            .mapValues((c) => c.length),
        ),
      ),
    ).toEqual(
      unordered([
        [
          ['a', 2],
          ['b', 1],
        ],
        [['c', 1]],
      ]),
    );
    expect(await runStream(pairs, (s) => s.flatMapValues((v) => [v, -v]))).toEqual(
      pairs.map((b) =>
        b.flatMap(([k, v]) => [
          [k, v],
          [k, -v],
        ]),
      ),
    );
  });

  it('union, transform with the batch time, transformWith, joins and cogroup', async () => {
    const a: [string, number][][] = [
      [
        ['x', 1],
        ['y', 2],
      ],
      [['x', 3]],
    ];
    const b: [string, string][][] = [
      [
        ['x', 'p'],
        ['z', 'q'],
      ],
      [],
    ];
    expect(await runStream2(a, a, (s1, s2) => s1.union(s2))).toEqual(a.map((batch) => [...batch, ...batch]));
    expect(await runStream([[1], [2]], (s) => s.transform((rdd, time) => rdd.map((x) => [x, time])))).toEqual(
      [[[1, 1000]], [[2, 2000]]],
    );
    expect(unordered(await runStream2(a, b, (s1, s2) => s1.join(s2)))).toEqual(
      unordered([[['x', [1, 'p']]], []]),
    );
    expect(unordered(await runStream2(a, b, (s1, s2) => s1.leftOuterJoin(s2)))).toEqual(
      unordered([
        [
          ['x', [1, 'p']],
          ['y', [2, undefined]],
        ],
        [['x', [3, undefined]]],
      ]),
    );
    expect(unordered(await runStream2(a, b, (s1, s2) => s1.rightOuterJoin(s2)))).toEqual(
      unordered([
        [
          ['x', [1, 'p']],
          ['z', [undefined, 'q']],
        ],
        [],
      ]),
    );
    expect(unordered(await runStream2(a, b, (s1, s2) => s1.fullOuterJoin(s2)))).toEqual(
      unordered([
        [
          ['x', [1, 'p']],
          ['y', [2, undefined]],
          ['z', [undefined, 'q']],
        ],
        [['x', [3, undefined]]],
      ]),
    );
    expect(unordered(await runStream2(a, b, (s1, s2) => s1.cogroup(s2)))).toEqual(
      unordered([
        [
          ['x', [[1], ['p']]],
          ['y', [[2], []]],
          ['z', [[], ['q']]],
        ],
        [['x', [[3], []]]],
      ]),
    );
    expect(
      await runStream2([[1, 2]], [[10]], (s1, s2) =>
        s1.transformWith(s2, (r1, r2) => r1.cartesian(r2).map(([x, y]) => x * y)),
      ),
    ).toEqual([[10, 20]]);
  });

  it('updateStateByKey runs for every key with state on every batch, as Spark', async () => {
    const input = [['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []];
    const output = await runStream(input, (s) =>
      s
        .map((x): [string, number] => [x, 1])
        .updateStateByKey(
          (values: number[], state: number | undefined) => values.reduce((x, y) => x + y, 0) + (state ?? 0),
        ),
    );
    expect(unordered(output)).toEqual(
      unordered([
        [['a', 1]],
        [
          ['a', 2],
          ['b', 1],
        ],
        [
          ['a', 3],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 4],
          ['b', 3],
          ['c', 1],
        ],
        [
          ['a', 5],
          ['b', 3],
          ['c', 1],
        ],
        [
          ['a', 5],
          ['b', 3],
          ['c', 1],
        ],
      ]),
    );
  });

  it('updateStateByKey removes a key when the function returns undefined, and takes an initial RDD', async () => {
    const calls: string[] = [];
    const output = await runStream([['a', 'b'], ['b'], []], (s) => {
      const initial = s.ssc.dataflowContext.parallelize<[string, number]>([['z', 100]], 1);
      return s
        .map((x): [string, number] => [x, 1])
        .updateStateByKey(
          (values: number[], state: number | undefined) => {
            calls.push(`${values.length}:${state ?? '-'}`);
            if (values.length === 0) return undefined; // expire keys without new values
            return (state ?? 0) + values.length;
          },
          2,
          initial,
        );
    });
    expect(unordered(output)).toEqual(
      unordered([
        [
          ['a', 1],
          ['b', 1],
        ],
        [['b', 2]],
        [],
      ]),
    );
    // batch 1: a and b are new, z comes from the initial RDD; batch 2: a expires, b grows; batch 3: b expires.
    expect(calls.sort()).toEqual(['1:-', '1:-', '0:100', '0:1', '1:1', '0:2'].sort());
  });
});

describe('DStream windows', () => {
  it('window aligns on the slide: (2 s, 1 s) and (3 s, 2 s) over 1 s batches', async () => {
    const input = [[1], [2], [3], [4], [5], [6]];
    expect(await runStream(input, (s) => s.window(2000, 1000))).toEqual([
      [1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
    ]);
    expect(await runStream(input, (s) => s.window(3000, 2000))).toEqual([
      [1, 2],
      [2, 3, 4],
      [4, 5, 6],
    ]);
  });

  it('rejects windows and slides that are not multiples of the batch interval', async () => {
    await expect(runStream([[1]], (s) => s.window(1500, 1000))).rejects.toThrow(
      'must be a multiple of the slide duration of parent DStream',
    );
    await expect(runStream([[1]], (s) => s.window(2000, 500))).rejects.toThrow('slide duration');
  });

  it('reduceByKeyAndWindow without inverse equals Spark (bigReduceOutput)', async () => {
    const output = await runStream(bigInput, (s) => s.reduceByKeyAndWindow((a, b) => a + b, 2000, 1000));
    expect(unordered(output)).toEqual(
      unordered([
        [['a', 1]],
        [
          ['a', 2],
          ['b', 1],
        ],
        [
          ['a', 2],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 2],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 2],
          ['b', 1],
        ],
        [['a', 1]],
        [['a', 1]],
        [
          ['a', 2],
          ['b', 1],
        ],
        [
          ['a', 2],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 2],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 2],
          ['b', 1],
        ],
        [['a', 1]],
      ]),
    );
  });

  it('reduceByKeyAndWindow with inverse keeps keys at 0 unless filtered, as Spark (bigReduceInvOutput)', async () => {
    const output = await runStream(bigInput, (s) =>
      s.reduceByKeyAndWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        2000,
        1000,
      ),
    );
    expect(unordered(output)).toEqual(
      unordered([
        [['a', 1]],
        [
          ['a', 2],
          ['b', 1],
        ],
        [
          ['a', 2],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 2],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 2],
          ['b', 1],
          ['c', 0],
        ],
        [
          ['a', 1],
          ['b', 0],
          ['c', 0],
        ],
        [
          ['a', 1],
          ['b', 0],
          ['c', 0],
        ],
        [
          ['a', 2],
          ['b', 1],
          ['c', 0],
        ],
        [
          ['a', 2],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 2],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 2],
          ['b', 1],
          ['c', 0],
        ],
        [
          ['a', 1],
          ['b', 0],
          ['c', 0],
        ],
      ]),
    );
    const filtered = await runStream(bigInput, (s) =>
      s.reduceByKeyAndWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        2000,
        1000,
        2,
        ([, n]) => n !== 0,
      ),
    );
    expect(unordered(filtered)).toEqual(unordered(output.map((batch) => batch.filter(([, n]) => n !== 0))));
  });

  it('reduceByKeyAndWindow with and without inverse agree on larger slides', async () => {
    const input = Array.from({ length: 12 }, (_, i) =>
      Array.from({ length: i % 4 }, (_, j): [string, number] => [`k${(i + j) % 3}`, i + j]),
    );
    const plain = await runStream(input, (s) => s.reduceByKeyAndWindow((a, b) => a + b, 4000, 2000));
    const incremental = await runStream(input, (s) =>
      s.reduceByKeyAndWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        4000,
        2000,
        2,
        ([, v]) => v !== 0,
      ),
    );
    expect(plain).toHaveLength(6);
    expect(unordered(incremental)).toEqual(unordered(plain.map((batch) => batch.filter(([, v]) => v !== 0))));
  });

  it('countByWindow, reduceByWindow, countByValueAndWindow and groupByKeyAndWindow', async () => {
    const input = [[1], [2, 3], [4], [], [5]];
    expect(await runStream(input, (s) => s.countByWindow(2000, 1000))).toEqual([[1], [3], [3], [1], [1]]);
    expect(await runStream(input, (s) => s.reduceByWindow((a, b) => a + b, 2000, 1000))).toEqual([
      [1],
      [6],
      [9],
      [4],
      [5],
    ]);
    expect(
      await runStream(input, (s) =>
        s.reduceByWindow(
          (a, b) => a + b,
          (a, b) => a - b,
          2000,
          1000,
        ),
      ),
    ).toEqual([[1], [6], [9], [4], [5]]);
    const words = [['a'], ['a', 'b'], ['b'], []];
    expect(unordered(await runStream(words, (s) => s.countByValueAndWindow(2000, 1000)))).toEqual(
      unordered([
        [['a', 1]],
        [
          ['a', 2],
          ['b', 1],
        ],
        [
          ['a', 1],
          ['b', 2],
        ],
        [['b', 1]],
      ]),
    );
    const pairs: [string, number][][] = [
      [['a', 1]],
      [
        ['a', 2],
        ['b', 3],
      ],
      [['b', 4]],
    ];
    expect(
      unordered(
        await runStream(pairs, (s) => s.groupByKeyAndWindow(2000, 1000).mapValues((vs) => vs.sort())),
      ),
    ).toEqual(
      unordered([
        [['a', [1]]],
        [
          ['a', [1, 2]],
          ['b', [3]],
        ],
        [
          ['a', [2]],
          ['b', [3, 4]],
        ],
      ]),
    );
  });

  it('stateful operators without a checkpoint directory fail at start with Spark’s message', async () => {
    const { DataflowContext } = await import('../context.ts');
    const { StreamingContext } = await import('./streaming-context.ts');
    const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 1000);
    ssc
      .queueStream<[string, number]>([])
      .updateStateByKey((v: number[]) => v.length)
      .print();
    await expect(ssc.start()).rejects.toThrow('The checkpoint directory has not been set');
    await ssc.stop();
  });
});
