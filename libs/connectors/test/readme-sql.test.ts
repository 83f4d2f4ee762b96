/**
 * The SQL-over-RDDs examples of README.md, run as written, with the outputs the README shows; the stream example
 * through `@oxbow/dataflow/testing` in place of a live source and `print()`. (The lake example needs a project
 * and a published batch run: apps/cli/test/sql-command.test.ts runs its queries on the web-analytics example.)
 */
import { DataflowContext } from '@oxbow/dataflow';
import { runStream } from '@oxbow/dataflow/testing';
import { describe, expect, it } from 'vitest';
import { SqlContext } from '../src/index.ts';

describe('README: SQL with DuckDB', () => {
  it('over RDDs', async () => {
    const ctx = new DataflowContext({ parallelism: 2 });
    const sql = new SqlContext(ctx);

    const requests = ctx.parallelize([
      { user: 'ann', path: '/home', ms: 120 },
      { user: 'bob', path: '/cart', ms: 80 },
      { user: 'ann', path: '/pay', ms: 40 },
    ]);
    requests.toTable(sql, 'requests');
    const perUser = sql.sql(
      'SELECT user, count(*) AS n, avg(ms) AS ms FROM requests GROUP BY user ORDER BY user',
    );
    expect(await perUser.collect()).toEqual([
      { user: 'ann', n: 2, ms: 80 },
      { user: 'bob', n: 1, ms: 80 },
    ]);
    expect(await perUser.map((row) => [row.user, row.n]).collect()).toEqual([
      ['ann', 2],
      ['bob', 1],
    ]);

    const countries = ctx.parallelize<[string, string]>([
      ['ann', 'NL'],
      ['bob', 'FR'],
    ]);
    sql.registerTable('countries', countries, { schema: { user: 'VARCHAR', country: 'VARCHAR' } });
    expect(
      await sql
        .sql(
          'SELECT country, sum(ms) AS ms FROM requests JOIN countries USING (user) GROUP BY country ORDER BY country',
        )
        .collect(),
    ).toEqual([
      { country: 'FR', ms: 80 },
      { country: 'NL', ms: 160 },
    ]);

    await sql.close();
    await ctx.stop();
  });

  it('per micro-batch of a stream', async () => {
    let opened: SqlContext | undefined;
    const out = await runStream(
      [
        [
          { user: 'ann', path: '/home' },
          { user: 'bob', path: '/home' },
          { user: 'ann', path: '/pay' },
        ],
        [{ user: 'cy', path: '/pay' }],
      ],
      (clicks) => {
        const sql = new SqlContext(clicks.ssc.dataflowContext);
        opened = sql;
        return clicks.transform((rdd) => {
          rdd.toTable(sql, 'clicks');
          return sql.sql(
            'SELECT path, count(DISTINCT user) AS users FROM clicks GROUP BY path ORDER BY users DESC, path',
          );
        });
      },
    );
    await opened?.close();
    expect(out).toEqual([
      [
        { path: '/home', users: 2 },
        { path: '/pay', users: 1 },
      ],
      [{ path: '/pay', users: 1 }],
    ]);
  });
});
