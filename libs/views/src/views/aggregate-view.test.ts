import { aggregate, DataflowContext, product, sum } from '@oxbow/dataflow';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { HttpLogEvent } from '../events/http-log.ts';
import type { SensorReadingEvent } from '../events/sensor-reading.ts';
import { aggregateView, presentViewRows } from './aggregate-view.ts';
import { statusClass } from './http-views.ts';
import { VIEWS } from './registry.ts';
import { bucketStart, type ViewDefinition } from './view-definition.ts';

const ctx = new DataflowContext({ parallelism: 1 });
afterAll(() => ctx.stop());

const BASE = Date.UTC(2026, 10, 24);

const sensorEvent: fc.Arbitrary<SensorReadingEvent> = fc
  .record({
    tsMs: fc.integer({ min: BASE - 3 * 3_600_000, max: BASE + 3 * 3_600_000 }),
    sensorId: fc.constantFrom('a', 'b', 'c'),
    // Quarter degrees are exact in binary, so sums (and means) do not depend on the order of addition.
    temperature: fc.integer({ min: -120, max: 160 }).map((x) => x / 4),
  })
  .map(({ tsMs, sensorId, temperature }) => ({
    ts: new Date(tsMs).toISOString(),
    tsMs,
    sensorId,
    site: 's',
    temperature,
    humidity: 50,
  }));

const statusEvent = fc
  .record({
    tsMs: fc.integer({ min: BASE, max: BASE + 5 * 60_000 }),
    status: fc.integer({ min: 100, max: 599 }),
  })
  .map(({ tsMs, status }) => ({ tsMs, status }) as HttpLogEvent);

/** The naive model: group events by (key, bucket) and aggregate each group from scratch. */
function naive<E extends { tsMs: number }, S, O>(view: ViewDefinition<E, S, O>, events: readonly E[]) {
  const groups = new Map<string, { key: string; bucketStartMs: number; events: E[] }>();
  for (const event of events) {
    const key = view.keyOf(event);
    const bucketStartMs = Math.floor(event.tsMs / view.bucketMs) * view.bucketMs;
    const id = JSON.stringify([key, bucketStartMs]);
    const group = groups.get(id) ?? { key, bucketStartMs, events: [] };
    group.events.push(event);
    groups.set(id, group);
  }
  return [...groups.values()]
    .map(({ key, bucketStartMs, events: group }) => ({
      key,
      bucketStartMs,
      value: aggregate(view.aggregator, group),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.bucketStartMs - b.bucketStartMs));
}

describe('aggregateView', () => {
  it('equals grouping and aggregating from scratch, whatever the partitioning (sensor_hourly)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(sensorEvent, { maxLength: 200 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        async (events, slices, partitions) => {
          const states = await aggregateView(
            VIEWS.sensor_hourly,
            ctx.parallelize(events, slices),
            partitions,
          ).collect();
          expect(presentViewRows(VIEWS.sensor_hourly, states)).toEqual(naive(VIEWS.sensor_hourly, events));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('equals the naive model for status classes and minute buckets (status_minutely)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(statusEvent, { maxLength: 300 }),
        fc.integer({ min: 1, max: 5 }),
        async (events, slices) => {
          const states = await aggregateView(
            VIEWS.status_minutely,
            ctx.parallelize(events, slices),
          ).collect();
          expect(presentViewRows(VIEWS.status_minutely, states)).toEqual(
            naive(VIEWS.status_minutely, events),
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('folds each partition with append, allocating no state per row', async () => {
    let zeros = 0;
    const base = sum((event: { tsMs: number; value: number }) => event.value);
    const counting = product({ total: base });
    const view: ViewDefinition<{ tsMs: number; value: number }, { total: number }, { total: number }> = {
      name: 'test',
      description: 'test',
      topic: 'http_logs',
      bucketMs: 60_000,
      keyOf: () => 'k',
      aggregator: {
        ...counting,
        get zero() {
          zeros++;
          return counting.zero;
        },
        prepare: () => {
          throw new Error('prepare must not be called per row');
        },
      },
      fields: [{ name: 'total', kind: 'sum', description: 'total' }],
    };
    const events = Array.from({ length: 1000 }, (_, i) => ({ tsMs: BASE + (i % 2) * 60_000, value: i }));
    const states = await aggregateView(view, ctx.parallelize(events, 4)).collect();
    expect(presentViewRows(view, states)).toEqual([
      { key: 'k', bucketStartMs: BASE, value: { total: 250_000 - 500 } },
      { key: 'k', bucketStartMs: BASE + 60_000, value: { total: 250_000 } },
    ]);
    expect(zeros).toBe(4 * 2); // one per partition and bucket
  });
});

describe('bucketStart and statusClass', () => {
  it('bucketStart is the largest multiple of the bucket length not after the time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e13, max: 1e13 }),
        fc.constantFrom(60_000, 3_600_000, 86_400_000),
        (ts, ms) => {
          const start = bucketStart(ts, ms);
          expect(start % ms === 0).toBe(true);
          expect(start <= ts && ts < start + ms).toBe(true);
        },
      ),
    );
    expect(bucketStart(Date.parse('2026-11-24T23:59:59.999Z'), 86_400_000)).toBe(
      Date.parse('2026-11-24T00:00:00Z'),
    );
  });

  it('statusClass names the hundred', () => {
    expect([100, 200, 299, 304, 404, 500, 599].map(statusClass)).toEqual([
      '1xx',
      '2xx',
      '2xx',
      '3xx',
      '4xx',
      '5xx',
      '5xx',
    ]);
  });
});
