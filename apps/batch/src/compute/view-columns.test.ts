import { type Aggregator, count, hyperLogLog, quantiles, sum } from '@oxbow/dataflow';
import { type AnyEvent, defineProject, defineSchema, defineView, f } from '@oxbow/views';
import { describe, expect, it } from 'vitest';
import { columnsReadBy, fieldsReadBy } from './view-columns.ts';

const rides = defineSchema(
  'rides',
  {
    time: f.timestamp(),
    city: f.string({ maxLength: 64 }),
    driverId: f.string({ maxLength: 64 }),
    fareCents: f.int({ min: 0 }),
    distanceKm: f.double({ min: 0, max: 1000 }),
    cancelled: f.boolean(),
  },
  { eventTime: 'time' },
);

function helper(event: AnyEvent): string {
  return String(event.city).toLowerCase();
}

/** A user's own aggregator: reads whatever it likes in `append`. */
const custom: Aggregator<{ fareCents: number }, number, number> = {
  kind: 'myFares',
  commutative: true,
  approximate: false,
  errorBound: { kind: 'exact' },
  codec: count().codec,
  zero: 0,
  plus: (a, b) => a + b,
  prepare: (e) => e.fareCents,
  append: (state, e) => state + e.fareCents,
  present: (state) => state,
};

const project = defineProject({
  topics: { ride_events: rides },
  views: [
    defineView({
      name: 'by_city',
      topic: 'ride_events',
      bucket: '1h',
      key: 'city',
      filter: (e) => !e.cancelled,
      fields: {
        rides: count(),
        fares: sum((e) => e.fareCents),
        drivers: hyperLogLog(({ driverId }) => driverId),
      },
    }),
    defineView({
      name: 'by_function_key',
      topic: 'ride_events',
      bucket: '1h',
      key: (e) => (e.fareCents > 1000 ? 'big' : 'small'),
      fields: { km: quantiles((ride) => ride?.distanceKm) },
    }),
    defineView({
      name: 'helper_key',
      topic: 'ride_events',
      bucket: '1h',
      key: helper,
      fields: { n: count() },
    }),
    defineView({
      name: 'opaque_key',
      topic: 'ride_events',
      bucket: '1h',
      key: (e) => helper(e),
      fields: { n: count() },
    }),
    defineView({
      name: 'passed_on',
      topic: 'ride_events',
      bucket: '1h',
      key: 'city',
      fields: { n: count((e) => helper(e) !== '') },
    }),
    defineView({
      name: 'custom',
      topic: 'ride_events',
      bucket: '1h',
      key: 'city',
      fields: { fares: custom },
    }),
  ],
});

describe('fieldsReadBy', () => {
  it('reads member accesses and destructuring, and gives up on anything else', () => {
    expect(fieldsReadBy((e: { a: number; b: number }) => e.a + e.b)).toEqual(['a', 'b']);
    expect(fieldsReadBy((e?: { a: number }) => e?.a)).toEqual(['a']);
    expect(fieldsReadBy(({ a, b: renamed }: { a: number; b: number }) => a + renamed)).toEqual(['a', 'b']);
    expect(
      fieldsReadBy(function named(event: { path: string }) {
        return event.path;
      }),
    ).toEqual(['path']);
    expect(fieldsReadBy(() => 'constant')).toEqual([]);
    expect(fieldsReadBy((e: AnyEvent) => helper(e))).toBeUndefined();
    expect(fieldsReadBy((e: Record<string, unknown>) => e['ci' + 'ty'])).toBeUndefined();
    expect(fieldsReadBy(({ ...rest }: Record<string, unknown>) => rest)).toBeUndefined();
    expect(fieldsReadBy(Math.max)).toBeUndefined();
    expect(fieldsReadBy('not a function')).toBeUndefined();
  });
});

describe('columnsReadBy', () => {
  it('reads the event time, the key field and the fields the functions read, in schema order', () => {
    expect(columnsReadBy(project.view('by_city'))).toEqual({
      columns: ['time', 'city', 'driverId', 'fareCents', 'cancelled'],
      pruned: true,
    });
    expect(columnsReadBy(project.view('by_function_key'))).toEqual({
      columns: ['time', 'fareCents', 'distanceKm'],
      pruned: true,
    });
    expect(columnsReadBy(project.view('helper_key'))).toEqual({ columns: ['time', 'city'], pruned: true });
  });

  it('reads every event column when a function passes the event on or an aggregator is unknown', () => {
    const all = { columns: rides.eventColumns, pruned: false };
    expect(columnsReadBy(project.view('opaque_key'))).toEqual(all);
    expect(columnsReadBy(project.view('passed_on'))).toEqual(all);
    expect(columnsReadBy(project.view('custom'))).toEqual(all);
  });
});
