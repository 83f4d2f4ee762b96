import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { deliveryVerdict, recordKeySql } from './delivery-verdict.ts';

const COLUMNS = { id: 'BIGINT', path: 'VARCHAR' };
const dir = mkdtempSync(join(tmpdir(), 'oxbow-verdict-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deliveryVerdict', () => {
  it('finds exactly the keys delivered more or less often than produced', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ id: fc.integer({ min: 0, max: 30 }), path: fc.constantFrom('/a', '/b', "/c'd") }),
          {
            maxLength: 40,
          },
        ),
        fc.array(fc.integer({ min: -1, max: 1 }), { minLength: 40, maxLength: 40 }),
        async (records, changes) => {
          // Each record delivered 0, 1 or 2 times.
          const delivered = records.flatMap((record, i) => Array(1 + (changes[i] ?? 0)).fill(record));
          const count = (rows: typeof records) => {
            const counts = new Map<string, number>();
            for (const r of rows) counts.set(`${r.id}|${r.path}`, (counts.get(`${r.id}|${r.path}`) ?? 0) + 1);
            return counts;
          };
          const want = count(records);
          const got = count(delivered);
          const keys = new Set([...want.keys(), ...got.keys()]);
          const more = [...keys].filter((k) => (got.get(k) ?? 0) > (want.get(k) ?? 0)).sort();
          const less = [...keys].filter((k) => (got.get(k) ?? 0) < (want.get(k) ?? 0)).sort();
          const report = await deliveryVerdict({
            produced: { columns: COLUMNS, records },
            expected: `SELECT ${recordKeySql(['id', 'path'])} AS key, count(*) AS n FROM produced GROUP BY ALL`,
            delivered: { rows: [...got].map(([key, n]) => ({ key, n })) },
          });
          expect(report.more.map((d) => d.key).sort()).toEqual(more);
          expect(report.less.map((d) => d.key).sort()).toEqual(less);
          expect(report.expectedTotal).toBe(records.length);
          expect(report.deliveredTotal).toBe(delivered.length);
          const verdict =
            more.length === 0 && less.length === 0
              ? 'ALL-RECORDS-DELIVERED'
              : less.length === 0
                ? 'MORE'
                : more.length === 0
                  ? 'LESS'
                  : 'MORE-AND-LESS';
          expect(report.verdict).toBe(verdict);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('reads Parquet files as table lake, and an empty lake delivers nothing', async () => {
    const records = [
      { id: 1, path: '/a' },
      { id: 2, path: '/b' },
      { id: 3, path: '/b' },
    ];
    const file = join(dir, 'part.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT * FROM (VALUES (1, '/a'), (2, '/b'), (2, '/b')) t(id, path)) TO '${file}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
    const expected = `SELECT ${recordKeySql(['id', 'path'])} AS key, count(*) AS n FROM produced GROUP BY ALL`;
    const sql = `SELECT ${recordKeySql(['id', 'path'])} AS key, count(*) AS n FROM lake GROUP BY ALL`;
    const report = await deliveryVerdict({
      produced: { columns: COLUMNS, records },
      expected,
      delivered: { parquet: [file], sql },
    });
    expect(report.verdict).toBe('MORE-AND-LESS');
    expect(report.more).toEqual([{ key: '2|/b', expected: 1, delivered: 2 }]);
    expect(report.less).toEqual([{ key: '3|/b', expected: 1, delivered: 0 }]);
    expect(report.summary).toContain('3|/b: expected 1, delivered 0');

    const empty = await deliveryVerdict({
      produced: { columns: COLUMNS, records },
      expected,
      delivered: { parquet: [], sql },
    });
    expect(empty.verdict).toBe('LESS');
    expect(empty.less).toHaveLength(3);
  });
});
