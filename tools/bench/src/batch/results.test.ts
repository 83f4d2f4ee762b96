import { describe, expect, it } from 'vitest';
import {
  batchTable,
  crossCheck,
  type EngineRun,
  identicalStates,
  VIEW_NAMES,
  viewSecondsTable,
} from './results.ts';

const EVENTS = { http_logs: 100, sensor_readings: 10 };

function run(
  name: string,
  wallSeconds: number,
  options: { rows?: number[]; total?: number; digest?: string } = {},
): EngineRun {
  const rows = options.rows ?? [10, 2, 5, 3];
  return {
    name,
    wallSeconds,
    cpuSeconds: wallSeconds * 1.5,
    peakRssBytes: 200 * 2 ** 20,
    eventsRead: 110,
    note: 'n',
    views: VIEW_NAMES.map((view, index) => ({
      name: view,
      rows: rows[index] ?? 0,
      total: view === 'sensor_hourly' ? 10 : (options.total ?? 100),
      ...(index === 0 ? { seconds: 1, engine: 'duckdb', mode: 'full' } : {}),
      ...(options.digest === undefined ? {} : { digest: `${options.digest}-${view}` }),
    })),
  };
}

describe('crossCheck', () => {
  it('accepts engines that agree', () => {
    expect(crossCheck([run('a', 1), run('b', 2)], EVENTS)).toEqual([]);
  });

  it('names the engine and view with wrong counts, rows or a missing view', () => {
    const missing: EngineRun = { ...run('d', 1), views: run('d', 1).views.slice(1) };
    expect(
      crossCheck(
        [run('a', 1), run('b', 1, { rows: [10, 3, 5, 3] }), run('c', 1, { total: 99 }), missing],
        EVENTS,
      ),
    ).toEqual([
      'b: country_daily has 3 rows, a has 2',
      'c: page_views_hourly counts 99 events, expected 100',
      'c: country_daily counts 99 events, expected 100',
      'c: status_minutely counts 99 events, expected 100',
      'd: view page_views_hourly missing',
    ]);
  });
});

describe('identicalStates', () => {
  it('accepts equal digests and names the views that differ', () => {
    expect(identicalStates(run('a', 1, { digest: 'x' }), run('b', 1, { digest: 'x' }))).toEqual([]);
    const other = run('b', 1, { digest: 'x', rows: [10, 2, 5, 4] });
    const changed: EngineRun = {
      ...other,
      views: other.views.map((view) => (view.name === 'country_daily' ? { ...view, digest: 'y' } : view)),
    };
    expect(identicalStates(run('a', 1, { digest: 'x' }), changed)).toEqual([
      'country_daily: states differ (a x-country_daily, b y)',
      'sensor_hourly: a has 3 rows, b 4',
    ]);
  });

  it('refuses a run without digests', () => {
    expect(identicalStates(run('a', 1), run('b', 1, { digest: 'x' }))[0]).toBe(
      'page_views_hourly: no state digest from a',
    );
  });
});

describe('tables', () => {
  it('shows wall, CPU, memory, events/s and wall ratios to DuckDB SQL and Spark', () => {
    const table = batchTable([run('oxbow', 8), run('duck', 0.5), run('spark', 16)], {
      duckdb: 'duck',
      spark: 'spark',
    });
    expect(table.split('\n')[2]).toBe('| oxbow | 8.00 | 12.00 | 200 | 110 | 14 | 16.0× | 0.50× | n |');
    expect(table.split('\n')[3]).toBe('| duck | 0.50 | 0.75 | 200 | 110 | 220 | 1.00× | 0.03× | n |');
  });

  it('shows a dash when a peer is absent', () => {
    expect(batchTable([run('oxbow', 8)], { duckdb: 'x', spark: 'y' })).toContain('| – | – |');
  });

  it('lists seconds per view with the engine and mode when known', () => {
    expect(viewSecondsTable([run('a', 1)]).split('\n')[2]).toBe('| a | 1.00 (duckdb, full) | – | – | – |');
  });
});
