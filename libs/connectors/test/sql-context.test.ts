/**
 * SQL over RDDs with the DuckDB `SqlContext`: group-by, filter and joins checked against the same computation in
 * RDD operators on random data (fast-check), the row and type conventions, and SQL per micro-batch of a stream.
 */
import { DataflowContext } from '@oxbow/dataflow';
import { runStream } from '@oxbow/dataflow/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SqlContext, SqlError, type SqlRow } from '../src/index.ts';

const RUNS = { numRuns: 25 };
const ctx = new DataflowContext({ parallelism: 1 });
const sql = new SqlContext(ctx, { settings: { threads: '1' } });
afterAll(async () => {
  await sql.close();
  await ctx.stop();
});

interface Request {
  user: string;
  ms: number;
  ok: boolean;
}
const request = fc.record({
  user: fc.constantFrom('ann', 'bob', 'cy', 'dee', "o'neil"),
  ms: fc.integer({ min: -1000, max: 1_000_000 }),
  ok: fc.boolean(),
});
const requests = fc.array(request, { minLength: 1, maxLength: 80 });
const slices = fc.integer({ min: 1, max: 5 });

const byJson = <T>(rows: readonly T[]): T[] =>
  [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

describe('SqlContext over RDDs, against RDD operators', () => {
  it('GROUP BY with count, sum, min and max equals reduceByKey', async () => {
    await fc.assert(
      fc.asyncProperty(requests, slices, async (data, s) => {
        const rdd = ctx.parallelize<Request>(data, s);
        rdd.toTable(sql, 'requests');
        const viaSql = await sql
          .sql(
            'SELECT user, count(*) AS n, sum(ms) AS total, min(ms) AS lo, max(ms) AS hi, count(*) FILTER (WHERE ok) AS oks FROM requests GROUP BY user',
          )
          .collect();
        const viaRdd = await rdd
          .map((r): [string, { n: number; total: number; lo: number; hi: number; oks: number }] => [
            r.user,
            { n: 1, total: r.ms, lo: r.ms, hi: r.ms, oks: r.ok ? 1 : 0 },
          ])
          .reduceByKey((a, b) => ({
            n: a.n + b.n,
            total: a.total + b.total,
            lo: Math.min(a.lo, b.lo),
            hi: Math.max(a.hi, b.hi),
            oks: a.oks + b.oks,
          }))
          .map(([user, agg]) => ({ user, ...agg }))
          .collect();
        expect(byJson(viaSql)).toEqual(byJson(viaRdd));
      }),
      RUNS,
    );
  });

  it('WHERE equals filter, and SELECT * gives the objects back', async () => {
    await fc.assert(
      fc.asyncProperty(requests, fc.integer({ min: -1000, max: 1_000_000 }), async (data, threshold) => {
        const rdd = ctx.parallelize<Request>(data, 3).toTable(sql, 'requests');
        const viaSql = await sql.sql(`SELECT * FROM requests WHERE ok AND ms > ${threshold}`).collect();
        const viaRdd = await rdd.filter((r) => r.ok && r.ms > threshold).collect();
        expect(byJson(viaSql)).toEqual(byJson(viaRdd));
      }),
      RUNS,
    );
  });

  it('JOIN and LEFT JOIN equal join and leftOuterJoin', async () => {
    const country = fc.record({
      user: fc.constantFrom('ann', 'bob', 'cy', 'eve'),
      country: fc.constantFrom('NL', 'FR', 'DE'),
    });
    await fc.assert(
      fc.asyncProperty(requests, fc.array(country, { maxLength: 6 }), async (data, countries) => {
        const left = ctx.parallelize<Request>(data, 2).toTable(sql, 'requests');
        const right = ctx.parallelize(countries, 2);
        sql.registerTable('countries', right, { schema: { user: 'VARCHAR', country: 'VARCHAR' } });
        const pairs = left.map((r): [string, number] => [r.user, r.ms]);
        const lookup = right.map((c): [string, string] => [c.user, c.country]);

        const inner = await sql
          .sql('SELECT r.user, r.ms, c.country FROM requests r JOIN countries c ON r.user = c.user')
          .collect();
        const innerRdd = (await pairs.join(lookup).collect()).map(([user, [ms, where]]) => ({
          user,
          ms,
          country: where,
        }));
        expect(byJson(inner)).toEqual(byJson(innerRdd));

        const outer = await sql
          .sql('SELECT r.user, r.ms, c.country FROM requests r LEFT JOIN countries c USING (user)')
          .collect();
        const outerRdd = (await pairs.leftOuterJoin(lookup).collect()).map(([user, [ms, where]]) => ({
          user,
          ms,
          country: where ?? null,
        }));
        expect(byJson(outer)).toEqual(byJson(outerRdd));
      }),
      RUNS,
    );
  });

  it('tuples are _1, _2, …: a double sum per key equals reduceByKey within rounding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.double({ min: -1e6, max: 1e6, noNaN: true })), {
          minLength: 1,
        }),
        async (data) => {
          const rdd = ctx.parallelize<[string, number]>(data, 2).toTable(sql, 'pairs');
          const viaSql = new Map(
            (await sql.sql('SELECT _1 AS k, sum(_2) AS v FROM pairs GROUP BY _1').collect()).map((row) => [
              row.k,
              row.v as number,
            ]),
          );
          const viaRdd = await rdd.reduceByKey((a, b) => a + b).collectAsMap();
          expect([...viaSql.keys()].sort()).toEqual([...viaRdd.keys()].sort());
          for (const [key, value] of viaRdd) expect(viaSql.get(key)).toBeCloseTo(value, 3);
        },
      ),
      RUNS,
    );
  });

  it('cuts the result into numPartitions slices in order, the same rows as one partition', async () => {
    await fc.assert(
      fc.asyncProperty(requests, fc.integer({ min: 1, max: 6 }), async (data, n) => {
        ctx.parallelize<Request>(data, 2).toTable(sql, 'requests');
        const query = 'SELECT user, ms FROM requests ORDER BY ms, user';
        const one = await sql.sql(query).collect();
        const sliced = sql.sql(query, { numPartitions: n });
        expect(sliced.getNumPartitions()).toBe(n);
        expect(await sliced.collect()).toEqual(one);
        expect(
          await sliced
            .glom()
            .map((part) => part.length)
            .collect(),
        ).toEqual(
          Array.from(
            { length: n },
            (_, p) => Math.floor(((p + 1) * one.length) / n) - Math.floor((p * one.length) / n),
          ),
        );
        expect(await sliced.take(3)).toEqual(one.slice(0, 3));
      }),
      { numRuns: 10 },
    );
  });
});

describe('SqlContext conventions', () => {
  it('registers lazily: the query reads the tables as registered when sql() was called', async () => {
    const first = ctx.parallelize([{ v: 1 }, { v: 2 }]).toTable(sql, 'snap');
    const total = sql.sql('SELECT sum(v) AS s FROM snap');
    ctx.parallelize([{ v: 100 }]).toTable(sql, 'snap');
    expect(await total.collect()).toEqual([{ s: 3 }]);
    expect(await sql.sql('SELECT sum(v) AS s FROM snap').collect()).toEqual([{ s: 100 }]);
    expect(await total.collect()).toEqual([{ s: 3 }]); // read again: the old registration is loaded again
    expect(first.getNumPartitions()).toBeGreaterThan(0);
  });

  it('gives plain rows: safe integers as numbers, larger ones as bigint, timestamps as Date, JSON as text', async () => {
    const rows = await sql
      .sql(
        "SELECT 42::BIGINT AS small, (2::HUGEINT ** 62)::HUGEINT AS big, TIMESTAMP '2026-01-02 03:04:05' AS at, [1, 2] AS list, {'a': 1} AS struct, NULL AS nothing, 'x'::BLOB AS raw",
      )
      .collect();
    expect(rows).toEqual([
      {
        small: 42,
        big: 2n ** 62n,
        at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
        list: [1, 2],
        struct: { a: 1 },
        nothing: null,
        raw: expect.any(Uint8Array),
      },
    ]);
    ctx.parallelize([{ id: 2n ** 62n, tags: ['a', 'b'], seen: new Date(5) }]).toTable(sql, 'typed');
    expect(await sql.sql('SELECT id, tags, tags->>0 AS first, seen FROM typed').collect()).toEqual([
      { id: 2n ** 62n, tags: '["a","b"]', first: 'a', seen: new Date(5) },
    ]);
  });

  it('queries a query: a result RDD registered as a table of the same context', async () => {
    ctx
      .parallelize([
        { user: 'a', ms: 1 },
        { user: 'a', ms: 2 },
        { user: 'b', ms: 5 },
      ])
      .toTable(sql, 'base');
    sql.sql('SELECT user, sum(ms) AS total FROM base GROUP BY user').toTable(sql, 'totals');
    expect(await sql.sql('SELECT max(total) AS top FROM totals').collect()).toEqual([{ top: 5 }]);
  });

  it('works on a threaded context (the query stage runs on the driver)', async () => {
    const threaded = new DataflowContext({ parallelism: 2 });
    const local = new SqlContext(threaded);
    try {
      threaded
        .range(0, 1000, 1, 4)
        .map((x) => ({ x, odd: x % 2 === 1 }))
        .toTable(local, 'numbers');
      const counts = await local
        .sql('SELECT odd, count(*) AS n FROM numbers GROUP BY odd ORDER BY odd')
        .map((row) => [row.odd, row.n] as const)
        .collect();
      expect(counts).toEqual([
        [false, 500],
        [true, 500],
      ]);
    } finally {
      await local.close();
      await threaded.stop();
    }
  });

  it('rejects the action with a SqlError for a bad query or table', async () => {
    const causeOf = async (rdd: { collect(): Promise<unknown> }) => {
      const error = await rdd.collect().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(SqlError.is(error)).toBe(true);
      return error as SqlError;
    };
    expect((await causeOf(sql.sql('SELEC 1'))).code).toBe('OXBOW_SQL_INVALID');
    expect((await causeOf(sql.sql('SELECT nope FROM requests'))).message).toMatch(/Binder Error/);
    expect((await causeOf(sql.sql('SELECT 1; SELECT 2'))).message).toBe('expected one statement, got 2');
    expect((await causeOf(sql.sql("SELECT 'x'::INTEGER"))).code).toBe('OXBOW_SQL_FAILED');
    ctx.parallelize([{ a: 1 }, { a: 'one' }]).toTable(sql, 'mixed');
    expect((await causeOf(sql.sql('SELECT * FROM mixed'))).code).toBe('OXBOW_SQL_TABLE');
    ctx.emptyRDD().toTable(sql, 'nothing');
    expect((await causeOf(sql.sql('SELECT * FROM nothing'))).message).toContain('no rows to infer columns');
    const slow = sql.sql('SELECT count(*) FROM range(10000000000) t(x) WHERE x % 7 = 3', { timeoutMs: 200 });
    expect((await causeOf(slow)).code).toBe('OXBOW_SQL_TIMEOUT');
    expect(await sql.sql('SELECT 1 AS one').collect()).toEqual([{ one: 1 }]); // the connection still works
    expect(() => sql.registerTable('bad name', ctx.emptyRDD())).toThrow(SqlError);
  });
});

describe('SQL per micro-batch (DStream transform)', () => {
  const click = fc.record({
    user: fc.constantFrom('ann', 'bob', 'cy'),
    ms: fc.integer({ min: 0, max: 500 }),
  });
  const batches = fc.array(fc.array(click, { maxLength: 12 }), { minLength: 1, maxLength: 5 });

  it('GROUP BY per batch equals reduceByKey per batch, empty batches included', async () => {
    await fc.assert(
      fc.asyncProperty(batches, async (input) => {
        let local: SqlContext | undefined;
        const viaSql = await runStream(input, (clicks) => {
          const catalog = new SqlContext(clicks.ssc.dataflowContext, { settings: { threads: '1' } });
          local = catalog;
          return clicks.transform((rdd) => {
            catalog.registerTable('clicks', rdd, { schema: { user: 'VARCHAR', ms: 'BIGINT' } });
            return catalog.sql('SELECT user, count(*) AS n, sum(ms) AS ms FROM clicks GROUP BY user');
          });
        });
        await local?.close();
        const viaRdd = await runStream(input, (clicks) =>
          clicks
            .map((c): [string, [number, number]] => [c.user, [1, c.ms]])
            .reduceByKey(([n1, ms1], [n2, ms2]): [number, number] => [n1 + n2, ms1 + ms2])
            .map(([user, [n, ms]]) => ({ user, n, ms })),
        );
        expect(viaSql.map((batch: SqlRow[]) => byJson(batch))).toEqual(viaRdd.map((batch) => byJson(batch)));
      }),
      { numRuns: 10 },
    );
  });

  it('rdd.toTable per batch, as in the README, with the columns kept across an empty batch', async () => {
    let local: SqlContext | undefined;
    const out = await runStream(
      [
        [
          { user: 'ann', ms: 3 },
          { user: 'bob', ms: 4 },
          { user: 'ann', ms: 5 },
        ],
        [],
        [{ user: 'bob', ms: 1 }],
      ],
      (clicks) => {
        const catalog = new SqlContext(clicks.ssc.dataflowContext);
        local = catalog;
        return clicks.transform((rdd) => {
          rdd.toTable(catalog, 'clicks');
          return catalog.sql('SELECT user, max(ms) AS slowest FROM clicks GROUP BY user ORDER BY user');
        });
      },
    );
    await local?.close();
    expect(out).toEqual([
      [
        { user: 'ann', slowest: 5 },
        { user: 'bob', slowest: 4 },
      ],
      [],
      [{ user: 'bob', slowest: 1 }],
    ]);
  });
});
