import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { count, distinctSet, hyperLogLog, max, mean, quantiles, sum, topK } from '@oxbow/dataflow';
import { defineProject, defineSchema, defineView, f } from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunDuckDb } from '../compute/duckdb-engine.ts';
import { presentedColumns, type TableCell, writeViewTables } from './view-tables.ts';

const trips = defineSchema(
  'trips',
  { at: f.timestamp(), city: f.string(), fare: f.double({ min: 0, max: 1000 }), rider: f.string() },
  { eventTime: 'at' },
);
const project = defineProject({
  topics: { trips },
  views: [
    defineView({
      name: 'trips_by_city',
      topic: 'trips',
      bucket: '1d',
      key: 'city',
      fields: {
        trips: count(),
        fares: sum((e) => e.fare),
        riders: hyperLogLog((e) => e.rider),
        fare: quantiles((e) => e.fare),
        meanFare: mean((e) => e.fare),
        maxFare: max((e) => e.fare),
        topRiders: topK((e) => e.rider, 2),
        cities: distinctSet((e) => e.city),
        state: count((e) => e.fare > 10),
      },
    }),
  ],
});
const view = project.view('trips_by_city');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oxbow-view-tables-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('presentedColumns', () => {
  it('follows the fields’ kinds, not the view', () => {
    expect(presentedColumns(view).map((column) => `${column.name} ${column.type}`)).toEqual([
      'trips BIGINT',
      'fares DOUBLE',
      'riders DOUBLE',
      'fare_p50 DOUBLE',
      'fare_p95 DOUBLE',
      'fare_p99 DOUBLE',
      'meanFare DOUBLE',
      'maxFare DOUBLE',
      'topRiders VARCHAR',
      'cities VARCHAR',
      'state_ BIGINT',
    ]);
  });
});

describe('writeViewTables', () => {
  it('writes the presented values of each cell in those columns, also for an empty view', async () => {
    const events = [
      { at: 0, city: 'Utrecht', fare: 12.5, rider: 'a' },
      { at: 1, city: 'Utrecht', fare: 7.5, rider: 'b' },
      { at: 2, city: 'Utrecht', fare: 30, rider: 'a' },
    ];
    let state = view.aggregator.zero;
    for (const event of events) state = view.aggregator.append(state, event);
    const cells: TableCell[] = [
      {
        key: 'Utrecht',
        bucket: 0,
        state: view.aggregator.codec.serialize(state),
        value: view.aggregator.present(state),
      },
    ];
    const empty = project.view('trips_by_city');
    const duck = await openRunDuckDb({ threads: 1, tempDirectory: join(dir, 'spill') });
    const local = await writeViewTables(duck.connection, dir, [{ view, cells }]);
    expect(local.views).toEqual([{ name: 'trips_by_city', parquetFile: expect.any(String), rows: 1 }]);
    const instance = await DuckDBInstance.create(local.duckdbFile, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll('SELECT * EXCLUDE (state) FROM trips_by_city');
      const [row] = reader.getRowObjectsJS();
      expect(row).toMatchObject({
        key: 'Utrecht',
        bucket: 0n,
        trips: 3n,
        fares: 50,
        meanFare: 50 / 3,
        maxFare: 30,
        topRiders: '[["a",2],["b",1]]',
        cities: '["Utrecht"]',
        state_: 2n,
      });
      expect(Math.round(row?.riders as number)).toBe(2);
      expect(Math.abs((row?.fare_p50 as number) - 12.5)).toBeLessThanOrEqual(0.125);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    const other = await mkdtemp(join(dir, 'empty-'));
    expect((await writeViewTables(duck.connection, other, [{ view: empty, cells: [] }])).views[0]?.rows).toBe(
      0,
    );
    duck.close();
  });
});
