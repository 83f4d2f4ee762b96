/**
 * `runLakeSql` over a small `file://` lake: topics as tables (projection, schema evolution, renamed Kafka topics,
 * the epoch column), batch views, the row and time limits, and what a query may not do.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LakeSqlOptions,
  openFileSystem,
  runLakeSql,
  SqlError,
  type SqlErrorCode,
  sqlRowToJson,
} from '../src/index.ts';
import { SMALL_BINDINGS, SMALL_PROJECT, type SmallLake, writeSmallLake } from './support/small-lake.ts';

let dir: string;
let lake: string;
let written: SmallLake;
const options: LakeSqlOptions = {
  project: SMALL_PROJECT,
  bindings: SMALL_BINDINGS,
  settings: { threads: '1' },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oxbow-lake-sql-'));
  lake = `${pathToFileURL(join(dir, 'lake')).href}/`;
  const fs = openFileSystem(lake);
  written = await writeSmallLake(fs);
  await fs.close();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function failure(
  query: string,
  extra: Partial<LakeSqlOptions> = {},
): Promise<{ code: SqlErrorCode; message: string }> {
  try {
    await runLakeSql({ lake }, query, { ...options, ...extra });
  } catch (error) {
    if (SqlError.is(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`expected "${query}" to fail`);
}

describe('runLakeSql: topics', () => {
  it('groups a topic across epochs and partitions like the records written', async () => {
    const result = await runLakeSql(
      { lake },
      'SELECT user, count(*) AS n, sum(ms) AS total FROM clicks GROUP BY user ORDER BY user',
      options,
    );
    const expected = new Map<string, { n: number; total: number }>();
    for (const click of written.clicks) {
      const seen = expected.get(click.user) ?? { n: 0, total: 0 };
      expected.set(click.user, { n: seen.n + 1, total: seen.total + click.ms });
    }
    expect(result.rows).toEqual(
      [...expected].sort(([a], [b]) => (a < b ? -1 : 1)).map(([user, agg]) => ({ user, ...agg })),
    );
    expect(result.columns).toEqual([
      { name: 'user', type: 'VARCHAR' },
      { name: 'n', type: 'BIGINT' },
      { name: 'total', type: 'HUGEINT' },
    ]);
    expect(result.truncated).toBe(false);
    expect(result.tables.find((table) => table.name === 'clicks')).toEqual({
      name: 'clicks',
      kind: 'topic',
      files: 3,
    });
  });

  it('projects onto the schema: new fields NULL in old files, a field no file has NULL, epoch from the path', async () => {
    const described = await runLakeSql({ lake }, 'DESCRIBE clicks', options);
    expect(described.rows.map((row) => [row.column_name, row.column_type])).toEqual([
      ['user', 'VARCHAR'],
      ['ms', 'BIGINT'],
      ['country', 'VARCHAR'],
      ['device', 'VARCHAR'],
      ['kafkaPartition', 'INTEGER'],
      ['kafkaOffset', 'BIGINT'],
      ['appendTimeMs', 'BIGINT'],
      ['epoch', 'BIGINT'],
    ]);
    const perEpoch = await runLakeSql(
      { lake },
      'SELECT epoch, count(*) AS n, count(country) AS with_country, count(device) AS with_device FROM clicks GROUP BY epoch ORDER BY epoch',
      options,
    );
    expect(perEpoch.rows).toEqual([
      { epoch: 1, n: 65, with_country: 0, with_device: 0 },
      {
        epoch: 2,
        n: 30,
        with_country: written.clicks.filter((c) => c.country !== null).length,
        with_device: 0,
      },
    ]);
  });

  it('reads a renamed Kafka topic from its own directory, and gives a topic without files no rows', async () => {
    const orders = await runLakeSql({ lake }, 'SELECT user, cents FROM orders ORDER BY user', options);
    expect(orders.rows).toEqual(written.orders);
    const unbound = await runLakeSql({ lake }, 'SELECT count(*) AS n FROM orders', {
      project: SMALL_PROJECT,
    });
    expect(unbound.rows).toEqual([{ n: 1 }]); // without the binding, orders is events/orders/
    const quiet = await runLakeSql(
      { lake },
      'SELECT count(*) AS n, any_value(flag) AS flag FROM quiet',
      options,
    );
    expect(quiet.rows).toEqual([{ n: 0, flag: null }]);
    const tables = await runLakeSql({ lake }, 'SHOW TABLES', options);
    expect(tables.rows.map((row) => row.name)).toEqual(['clicks', 'clicks_by_user', 'orders', 'quiet']);
  });
});

describe('runLakeSql: batch views', () => {
  it('attaches the current version: views by name and as batch.<view>, joinable with topics', async () => {
    const result = await runLakeSql(
      { lake },
      `SELECT v.key AS user, v.n, v.total_ms, count(c.*) AS lake_n
         FROM clicks_by_user v JOIN batch.clicks_by_user b USING (key)
         LEFT JOIN clicks c ON c.user = v.key AND c.epoch <= 1
        GROUP BY ALL ORDER BY user`,
      options,
    );
    expect(result.batch).toEqual({ runId: written.manifest?.runId, watermarkEpoch: 1 });
    for (const row of result.rows) expect(row.lake_n).toBe(row.n);
    expect(result.rows.length).toBe(4);
    expect(result.rows[0]).toEqual({
      user: 'ann',
      n: expect.any(Number),
      total_ms: expect.any(Number),
      lake_n: expect.any(Number),
    });
  });

  it('has no views when nothing is published', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'oxbow-lake-sql-bare-'));
    try {
      const url = pathToFileURL(bare).href;
      const fs = openFileSystem(url);
      await writeSmallLake(fs, false);
      await fs.close();
      const result = await runLakeSql({ lake: url }, 'SELECT count(*) AS n FROM clicks', options);
      expect(result.batch).toBeUndefined();
      expect(result.rows).toEqual([{ n: 95 }]);
      const missing = await runLakeSql({ lake: url }, 'SELECT * FROM clicks_by_user', options).catch(
        (error: unknown) => error,
      );
      expect(SqlError.is(missing, 'OXBOW_SQL_INVALID') && missing.message).toMatch(
        /^Catalog Error: .*clicks_by_user/,
      );
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});

describe('runLakeSql: limits and safety', () => {
  it('returns at most limit rows and says so', async () => {
    const cut = await runLakeSql({ lake }, 'SELECT kafkaOffset FROM clicks ORDER BY kafkaOffset', {
      ...options,
      limit: 5,
    });
    expect(cut.rows.map((row) => row.kafkaOffset)).toEqual([0, 1, 2, 3, 4]);
    expect(cut.truncated).toBe(true);
    expect(cut.limit).toBe(5);
    const whole = await runLakeSql({ lake }, 'SELECT kafkaOffset FROM clicks', { ...options, limit: 95 });
    expect(whole.rows.length).toBe(95);
    expect(whole.truncated).toBe(false);
    const none = await runLakeSql({ lake }, 'SELECT * FROM clicks', { ...options, limit: 0 });
    expect([none.rows.length, none.truncated, none.columns.length]).toEqual([0, true, 8]);
  });

  it('interrupts a query past its time limit, and stops on the abort signal', async () => {
    const started = Date.now();
    const slow = 'SELECT count(*) FROM range(100000000000) t(x) WHERE x % 7 = 3';
    expect(await failure(slow, { timeoutMs: 300 })).toEqual({
      code: 'OXBOW_SQL_TIMEOUT',
      message: 'the query ran past its time limit of 300 ms',
    });
    expect(Date.now() - started).toBeLessThan(5000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    expect((await failure(slow, { signal: controller.signal })).code).toBe('OXBOW_SQL_CANCELLED');
  });

  it('runs one SELECT only, reads nothing outside the lake, and cannot change its settings', async () => {
    const outside = join(dir, 'outside.csv');
    await writeFile(outside, 'a\n1\n');
    expect(await failure('CREATE TABLE x AS SELECT 1')).toEqual({
      code: 'OXBOW_SQL_INVALID',
      message: 'only SELECT queries are allowed, not CREATE',
    });
    expect((await failure(`COPY (SELECT 1) TO '${join(dir, 'lake', 'x.csv')}'`)).message).toBe(
      'only SELECT queries are allowed, not COPY',
    );
    expect((await failure(`ATTACH '${join(dir, 'lake', 'x.db')}'`)).message).toContain('not ATTACH');
    expect((await failure('SET enable_external_access = true')).message).toContain('not SET');
    expect((await failure('SELECT 1; SELECT 2')).message).toBe('expected one statement, got 2');
    expect((await failure(`SELECT * FROM read_csv('${outside}')`)).message).toMatch(/Permission Error/);
    expect((await failure('SELEC 1')).message).toMatch(/^Parser Error: syntax error at or near "SELEC"/);
    expect((await failure('SELECT nope FROM clicks')).message).toMatch(/^Binder Error: .*nope/);
    expect((await failure("SELECT 'x'::INTEGER AS n")).code).toBe('OXBOW_SQL_FAILED');
    expect((await failure('SELECT 1', { limit: -1 })).message).toBe(
      'limit must be a non-negative integer, got -1',
    );
    const setting = await runLakeSql(
      { lake },
      "SELECT current_setting('enable_external_access') AS x;",
      options,
    );
    expect(setting.rows).toEqual([{ x: false }]);
  });

  it('gives JSON-safe rows for answers over HTTP', async () => {
    const result = await runLakeSql(
      { lake },
      "SELECT 2::HUGEINT ** 70 AS big, (2::HUGEINT ** 70)::HUGEINT AS exact, TIMESTAMP '2026-01-01' AS at, 'ab'::BLOB AS raw",
      options,
    );
    expect(sqlRowToJson(result.rows[0] ?? {})).toEqual({
      big: 2 ** 70,
      exact: '1180591620717411303424',
      at: '2026-01-01T00:00:00.000Z',
      raw: 'YWI=',
    });
  });
});
