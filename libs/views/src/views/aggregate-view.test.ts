import { aggregate, DataflowContext, product, sum } from '@oxbow/dataflow';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../test/fixtures/shop.project.ts';
import type { Project } from '../project/define-project.ts';
import type { AnyEvent } from '../project/define-view.ts';
import { loadProject } from '../project/load-project.ts';
import { aggregateView, presentViewRows } from './aggregate-view.ts';
import type { ViewDefinition } from './view-definition.ts';

const SHOP = new URL('../../test/fixtures/shop.project.ts', import.meta.url).pathname;
const ctx = new DataflowContext({ parallelism: 1 });
let project: Project;

beforeAll(async () => {
  project = await loadProject(SHOP);
});
afterAll(() => ctx.stop());

const BASE = Date.UTC(2026, 10, 24);

/** Parsed orders over six hours around midnight, in few stores, channels and customers (so cells repeat). */
const order: fc.Arbitrary<Order> = fc
  .record({
    at: fc.integer({ min: BASE - 3 * 3_600_000, max: BASE + 3 * 3_600_000 }),
    store: fc.constantFrom('ams', 'ber', 'cph'),
    customer: fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5'),
    amountCents: fc.integer({ min: 0, max: 100_000 }),
    items: fc.integer({ min: 1, max: 9 }),
    express: fc.boolean(),
    channel: fc.constantFrom('web' as const, 'app' as const, 'phone' as const),
    coupon: fc.option(fc.constantFrom('A', 'B'), { nil: undefined }),
  })
  .map(({ coupon, ...rest }) => (coupon === undefined ? rest : { ...rest, coupon }));

/** The naive model: filter, group events by (key, bucket) and aggregate each group from scratch. */
function naive(view: ViewDefinition<AnyEvent>, events: readonly AnyEvent[]) {
  const groups = new Map<string, { key: string; bucketStartMs: number; events: AnyEvent[] }>();
  for (const event of events) {
    if (view.filter !== undefined && !view.filter(event)) continue;
    const key = view.keyOf(event);
    const bucketStartMs = Math.floor(view.timeOf(event) / view.bucketMs) * view.bucketMs;
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
  it.each([
    ['orders_by_store_hourly', 'a field key and every kind of aggregator'],
    ['express_by_channel_daily', 'a filter and an enum key over UTC days'],
    ['orders_by_size_5m', 'a key function and 5-minute buckets'],
  ])('%s (%s) equals grouping and aggregating from scratch, whatever the partitioning', async (name) => {
    const view = project.view(name);
    await fc.assert(
      fc.asyncProperty(
        fc.array(order, { maxLength: 200 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        async (events, slices, partitions) => {
          const states = await aggregateView(view, ctx.parallelize(events, slices), partitions).collect();
          expect(presentViewRows(view, states)).toEqual(naive(view, events));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('leaves out the events its filter refuses, and presents rows sorted by key and bucket', async () => {
    const view = project.view('express_by_channel_daily');
    const at = BASE + 3_600_000;
    const events: Order[] = [
      { at, store: 's', customer: 'c', amountCents: 1, items: 1, express: true, channel: 'web', coupon: 'X' },
      { at, store: 's', customer: 'c', amountCents: 1, items: 1, express: false, channel: 'web' },
      {
        at: at - 86_400_000,
        store: 's',
        customer: 'c',
        amountCents: 1,
        items: 1,
        express: true,
        channel: 'web',
      },
      { at, store: 's', customer: 'c', amountCents: 1, items: 1, express: true, channel: 'app' },
    ];
    const rows = presentViewRows(view, await aggregateView(view, ctx.parallelize(events, 3)).collect());
    expect(rows).toEqual([
      { key: 'app', bucketStartMs: BASE, value: { orders: 1, withCoupon: 0 } },
      { key: 'web', bucketStartMs: BASE - 86_400_000, value: { orders: 1, withCoupon: 0 } },
      { key: 'web', bucketStartMs: BASE, value: { orders: 1, withCoupon: 1 } },
    ]);
  });

  it('folds each partition with append, allocating no state per row', async () => {
    let zeros = 0;
    const counting = product({ total: sum((event: { tsMs: number; value: number }) => event.value) });
    const view = {
      bucketMs: 60_000,
      keyOf: () => 'k',
      timeOf: (event: { tsMs: number }) => event.tsMs,
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
