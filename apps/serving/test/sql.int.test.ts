/**
 * `POST /v1/sql` on the real stack: a `file://` lake of archived HTTP logs, a version published by `runBatch`,
 * Redis for the server. Checks answers against counts made here from the events written (not through DuckDB),
 * admin-only access, the row limit, the time limit (DuckDB interrupted), refused writing statements, and the
 * error shape of each failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQL_ROUTE_LIMITS } from '../src/routes/sql-routes.ts';
import type { ServingServer } from '../src/server.ts';
import type { WrittenLake } from './support/lake-files.ts';
import { type PublishedLakeServer, publishedLakeServer } from './support/published-lake.ts';

const EPOCH_MS = 30_000;
const ADMIN_KEY = 'sql-admin-key-01';
const READ_KEY = 'sql-read-key-001';

let published: PublishedLakeServer | undefined;
let server: ServingServer;
let lake: WrittenLake;
let runId: string;

beforeAll(async () => {
  published = await publishedLakeServer({
    label: 'sql',
    apiKeys: `${ADMIN_KEY}:admin,${READ_KEY}:read`,
    seed: 11,
    epochMs: EPOCH_MS,
  });
  ({ server, lake } = published);
  runId = published.manifest.runId;
}, 180_000);

afterAll(async () => {
  await published?.close();
});

/** POSTs `body` to /v1/sql with the admin key, `key`, or (null) none. */
function sql(body: unknown, key: string | null = ADMIN_KEY) {
  return server.app.inject({
    method: 'POST',
    url: '/v1/sql',
    headers: key === null ? {} : { 'x-api-key': key },
    payload: body as object,
  });
}

describe('POST /v1/sql', () => {
  it('answers admin keys only', async () => {
    const query = { sql: 'SELECT 1 AS one' };
    const none = await sql(query, null);
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ statusCode: 401, code: 'OXBOW_UNAUTHORIZED' });
    const reader = await sql(query, READ_KEY);
    expect(reader.statusCode).toBe(403);
    expect(reader.json()).toMatchObject({ statusCode: 403, code: 'OXBOW_FORBIDDEN' });
    const admin = await sql(query);
    expect(admin.statusCode).toBe(200);
    expect(admin.json()).toMatchObject({ rows: [{ one: 1 }], rowCount: 1, truncated: false });
  });

  it('reads a topic of the lake: counts per status equal those of the events written', async () => {
    const response = await sql({
      sql: 'SELECT status, count(*) AS n FROM http_logs GROUP BY status ORDER BY status',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    const expected = new Map<number, number>();
    for (const { event } of lake.events) expected.set(event.status, (expected.get(event.status) ?? 0) + 1);
    expect(body.rows).toEqual([...expected].sort(([a], [b]) => a - b).map(([status, n]) => ({ status, n })));
    expect(body.columns).toEqual([
      { name: 'status', type: 'INTEGER' },
      { name: 'n', type: 'BIGINT' },
    ]);
    expect(body.tables).toContainEqual({ name: 'http_logs', kind: 'topic', files: expect.any(Number) });
    expect(body.batch).toEqual({ runId, watermarkEpoch: lake.lastSealedEpoch });
  });

  it('reads the published batch views, by name and as batch.<view>', async () => {
    const sealed = lake.events.filter((archived) => archived.epoch <= lake.lastSealedEpoch);
    const statuses = new Map<string, number>();
    for (const { event } of sealed) {
      const key = `${Math.floor(event.status / 100)}xx`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
    const response = await sql({
      sql: 'SELECT key, sum(hits) AS hits FROM batch.status_minutely GROUP BY key ORDER BY key',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().rows).toEqual(
      [...statuses].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, hits]) => ({ key, hits })),
    );
    const tables = (await sql({ sql: 'SHOW TABLES' })).json();
    expect(tables.rows.map((row: { name: string }) => row.name)).toEqual(
      expect.arrayContaining(['http_logs', 'sensor_readings', 'page_views_hourly', 'status_minutely']),
    );
    const viewCount = await sql({ sql: 'SELECT count(*) AS n FROM page_views_hourly' });
    expect(viewCount.statusCode).toBe(200);
    expect(viewCount.json().rows[0].n).toBeGreaterThan(0);
  });

  it('returns at most limit rows (default and given) and says when rows were left out', async () => {
    const all = await sql({ sql: 'SELECT kafkaPartition, kafkaOffset FROM http_logs' });
    expect(all.json()).toMatchObject({ rowCount: lake.events.length, truncated: false });
    expect(all.json().limit).toBe(SQL_ROUTE_LIMITS.defaultLimit);
    const five = await sql({ sql: 'SELECT * FROM http_logs ORDER BY kafkaPartition, kafkaOffset', limit: 5 });
    expect(five.statusCode).toBe(200);
    expect(five.json()).toMatchObject({ rowCount: 5, truncated: true, limit: 5 });
    expect(five.json().rows[4]).toMatchObject({ kafkaPartition: 0, kafkaOffset: 4 });
    const many = await sql({ sql: 'SELECT * FROM range(20000) t(i)', limit: SQL_ROUTE_LIMITS.maxLimit });
    expect(many.json()).toMatchObject({ rowCount: SQL_ROUTE_LIMITS.maxLimit, truncated: true });
    const tooMany = await sql({ sql: 'SELECT 1', limit: SQL_ROUTE_LIMITS.maxLimit + 1 });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ code: 'OXBOW_BAD_REQUEST', message: /limit must be <= 10000/ });
  });

  it('interrupts a query past its time limit: 408', async () => {
    const response = await sql({
      sql: 'SELECT sum(hash(a.i * b.i)) AS h FROM range(1000000) a(i), range(1000000) b(i)',
      timeoutMs: 300,
    });
    expect(response.statusCode).toBe(408);
    expect(response.json()).toMatchObject({
      statusCode: 408,
      error: 'Request Timeout',
      code: 'OXBOW_SQL_TIMEOUT',
      message: /time limit of 300 ms/,
    });
    // The server is free again.
    expect((await sql({ sql: 'SELECT 2 AS two' })).json().rows).toEqual([{ two: 2 }]);
  });

  it.each([
    ["COPY http_logs TO '/tmp/oxbow-sql-copy.csv'"],
    ["ATTACH '/tmp/oxbow-sql-attach.duckdb' AS other"],
    ['INSTALL httpfs'],
    ['LOAD httpfs'],
    ['CREATE TABLE t AS SELECT 1'],
    ['INSERT INTO http_logs SELECT * FROM http_logs'],
    ['DELETE FROM http_logs'],
    ["SET allowed_directories = ['/']"],
    ['DROP VIEW http_logs'],
    ['SELECT 1; SELECT 2'],
  ])('refuses a statement that is not one SELECT: %s', async (statement) => {
    const response = await sql({ sql: statement });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      code: 'OXBOW_SQL_INVALID',
    });
  });

  it('reads nothing outside the lake', async () => {
    const response = await sql({ sql: "SELECT * FROM read_csv('/etc/passwd')" });
    expect([400, 422]).toContain(response.statusCode);
    expect(response.json().code).toMatch(/^OXBOW_SQL_(INVALID|FAILED)$/);
  });

  it('answers a query that does not bind 400, a failure while running 422, bad bodies 400 and 413', async () => {
    const unknown = await sql({ sql: 'SELECT nope FROM http_logs' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'OXBOW_SQL_INVALID', message: /nope/ });
    const failing = await sql({ sql: 'SELECT CAST(path AS INTEGER) AS p FROM http_logs' });
    expect(failing.statusCode).toBe(422);
    expect(failing.json()).toMatchObject({ error: 'Unprocessable Entity', code: 'OXBOW_SQL_FAILED' });
    const missing = await sql({ limit: 3 });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toMatch(/"sql" is required/);
    const negative = await sql({ sql: 'SELECT 1', timeoutMs: 0 });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().message).toMatch(/timeoutMs must be >= 1/);
    const huge = await sql({ sql: `SELECT '${'x'.repeat(SQL_ROUTE_LIMITS.maxSqlLength + 2048)}'` });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'OXBOW_PAYLOAD_TOO_LARGE' });
  });
});
