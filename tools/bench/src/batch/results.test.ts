import { describe, expect, it } from 'vitest';
import { batchTable, crossCheck, type EngineRun, viewSecondsTable } from './results.ts';

function run(name: string, seconds: number, rows = [10, 2, 5], hits = 100): EngineRun {
  return {
    name,
    seconds,
    note: 'n',
    views: [
      { name: 'page_views_hourly', rows: rows[0] ?? 0, hits, seconds: 1 },
      { name: 'country_daily', rows: rows[1] ?? 0, hits, seconds: 2, engine: 'duckdb' },
      { name: 'status_minutely', rows: rows[2] ?? 0, hits },
    ],
  };
}

describe('crossCheck', () => {
  it('accepts engines that agree', () => {
    expect(crossCheck([run('a', 1), run('b', 2)], 100)).toEqual([]);
  });

  it('names the engine and view with wrong hits, rows or a missing view', () => {
    const missing: EngineRun = { ...run('d', 1), views: run('d', 1).views.slice(1) };
    expect(
      crossCheck([run('a', 1), run('b', 1, [10, 3, 5]), run('c', 1, [10, 2, 5], 99), missing], 100),
    ).toEqual([
      'b: country_daily has 3 rows, a has 2',
      'c: page_views_hourly has 99 hits, expected 100',
      'c: country_daily has 99 hits, expected 100',
      'c: status_minutely has 99 hits, expected 100',
      'd: view page_views_hourly missing',
    ]);
  });
});

describe('tables', () => {
  it('computes events/s and time ratios to the ceiling and to Spark', () => {
    const table = batchTable([run('oxbow', 8), run('duck', 0.5), run('spark', 16)], 1_000_000, {
      ceiling: 'duck',
      spark: 'spark',
    });
    expect(table.split('\n')[2]).toBe('| oxbow | 8.00 | 125,000 | 16.0× | 0.50× | n |');
    expect(table.split('\n')[3]).toBe('| duck | 0.50 | 2,000,000 | 1.00× | 0.03× | n |');
  });

  it('shows a dash when a peer is absent', () => {
    expect(batchTable([run('oxbow', 8)], 100, { ceiling: 'x', spark: 'y' })).toContain('| – | – |');
  });

  it('lists seconds per view with the engine when known', () => {
    expect(viewSecondsTable([run('a', 1)]).split('\n')[2]).toBe('| a | 1.00 | 2.00 (duckdb) | – |');
  });
});
