/**
 * Every view of the rides example, loaded through loadProject from oxbow.project.ts and computed by aggregateView
 * over rides generated from the schema alone (the project has no generator), equals the DuckDB oracle on every
 * key and bucket. Half the records carry their time as epoch milliseconds, the other half as ISO-8601.
 */
import { DataflowContext } from '@oxbow/dataflow';
import {
  type AnyEvent,
  aggregateView,
  generatorOf,
  loadProject,
  type Project,
  presentViewRows,
} from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViewOracle } from '../../../libs/views/test/support/oracle.ts';
import { expectRowsMatchOracle } from '../../../libs/views/test/support/presented-value-checks.ts';
import { RIDES_PROJECT } from '../index.ts';
import { RIDES_ORACLE, ridesOracle } from '../oracle.ts';

/** 21:10 UTC, so the rides span two UTC days. */
const START_MS = Date.UTC(2026, 10, 23, 21, 10);
const NOW = START_MS + 7 * 86_400_000;

const ctx = new DataflowContext({ parallelism: 1 });
let project: Project;
let oracle: ViewOracle;
let records: Array<Record<string, unknown>>;
let events: AnyEvent[];

beforeAll(async () => {
  project = await loadProject(RIDES_PROJECT);
  expect(project.generators.size).toBe(0);
  const generated = generatorOf(
    project,
    'ride_events',
  )({ count: 20_000, seed: 99, startMs: START_MS, ratePerSec: 2 });
  records = [...generated].map((record, index) =>
    index % 2 === 0 ? { ...record } : { ...record, time: Date.parse(record.time as string) },
  );
  const schema = project.schemaOf('ride_events');
  events = records.map((record) => {
    const result = schema.parse(JSON.stringify(record), { now: NOW });
    if (!result.ok) throw new Error(`generated ride is invalid: ${result.reasons.join('; ')}`);
    return result.event;
  });
  oracle = await ridesOracle(records);
});

afterAll(async () => {
  oracle?.close();
  await ctx.stop();
});

async function expectViewMatchesOracle(name: string) {
  const view = project.view(name);
  const rows = presentViewRows(view, await aggregateView(view, ctx.parallelize(events, 4), 3).collect());
  expectRowsMatchOracle(view, rows, await oracle.rows(name));
  return rows as Array<{ key: string; bucketStartMs: number; value: Record<string, number> }>;
}

describe('the rides views against the DuckDB oracle', () => {
  it('rides_by_city_hourly: rides, revenue and promo rides exact, mean duration to 1e-9', async () => {
    const rows = await expectViewMatchesOracle('rides_by_city_hourly');
    expect(rows.length).toBeGreaterThan(1000);
    expect(rows.reduce((total, row) => total + (row.value.rides ?? 0), 0)).toBe(records.length);
    const withPromo = rows.reduce((total, row) => total + (row.value.withPromo ?? 0), 0) / records.length;
    expect(withPromo).toBeGreaterThan(0.75);
    expect(withPromo).toBeLessThan(0.85);
  });

  it('fares_by_city_daily: paid rides only; fare quantiles within 1 %, duration quantiles within 2 %', async () => {
    const rows = await expectViewMatchesOracle('fares_by_city_daily');
    expect(new Set(rows.map((row) => row.bucketStartMs)).size).toBe(2);
    const paid = events.filter((event) => event.fareCents > 0).length;
    expect(paid).toBeLessThan(events.length);
    expect(rows.reduce((total, row) => total + (row.value.rides ?? 0), 0)).toBe(paid);
  });

  it('promos_daily: rides and revenue per code exact; distinct cities within the HyperLogLog bounds', async () => {
    const rows = await expectViewMatchesOracle('promos_daily');
    expect(rows.every((row) => row.key !== '')).toBe(true);
    expect(rows.some((row) => (row.value.cities ?? 0) > 10)).toBe(true);
  });

  it('compares every view of the project', () => {
    expect(project.views.map((view) => view.name).sort()).toEqual(Object.keys(RIDES_ORACLE.views).sort());
  });
});
