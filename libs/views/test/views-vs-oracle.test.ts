/**
 * The generic oracle and presented-value checks, exercised on the shop fixture project: every view, computed by
 * aggregateView over events generated from the schema alone, equals the DuckDB oracle on every key and bucket,
 * field by field by kind. And the checks do catch a wrong value of each kind.
 */
import { DataflowContext } from '@oxbow/dataflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnyEvent,
  aggregateView,
  generateEvents,
  loadProject,
  type Project,
  presentViewRows,
  type ViewRow,
} from '../src/index.ts';
import { SHOP_ORACLE } from './fixtures/shop.oracle.ts';
import { ViewOracle } from './support/oracle.ts';
import { expectPresentedValue, expectRowsMatchOracle } from './support/presented-value-checks.ts';

const SHOP = new URL('./fixtures/shop.project.ts', import.meta.url).pathname;
/** 22:40 UTC, so the orders span two UTC days. */
const START_MS = Date.UTC(2026, 10, 23, 22, 40);
const NOW = START_MS + 7 * 86_400_000;

const ctx = new DataflowContext({ parallelism: 1 });
let project: Project;
let oracle: ViewOracle;
let events: AnyEvent[];

beforeAll(async () => {
  project = await loadProject(SHOP);
  const orders = project.schemaOf('orders');
  const records = [
    ...generateEvents(orders, {
      count: 6000,
      seed: 2026,
      startMs: START_MS,
      ratePerSec: 1,
      distinctStrings: 40,
    }),
  ];
  events = records.map((record) => {
    const result = orders.parse(JSON.stringify(record), { now: NOW });
    if (!result.ok) throw new Error(`generated order is invalid: ${result.reasons.join('; ')}`);
    return result.event;
  });
  oracle = await ViewOracle.create(SHOP_ORACLE);
  await oracle.load('orders', records);
});

afterAll(async () => {
  oracle?.close();
  await ctx.stop();
});

async function rowsOf(name: string): Promise<ViewRow<Record<string, unknown>>[]> {
  const view = project.view(name);
  return presentViewRows(view, await aggregateView(view, ctx.parallelize(events, 4)).collect()) as ViewRow<
    Record<string, unknown>
  >[];
}

describe('the shop fixture against its DuckDB oracle', () => {
  it.each(['orders_by_store_hourly', 'express_by_channel_daily', 'orders_by_size_5m'])(
    '%s equals the oracle on every key and bucket',
    async (name) => {
      const rows = await rowsOf(name);
      const cells = expectRowsMatchOracle(project.view(name), rows, await oracle.rows(name));
      expect(cells).toBeGreaterThan(name === 'express_by_channel_daily' ? 5 : 40);
    },
  );

  it('catches a wrong value of each kind, and refuses kinds it has no rule for', async () => {
    const view = project.view('orders_by_store_hourly');
    const [row] = await rowsOf('orders_by_store_hourly');
    const [truth] = await oracle.rows('orders_by_store_hourly');
    if (row === undefined || truth === undefined) throw new Error('no rows');
    const check = (value: Record<string, unknown>) =>
      expectPresentedValue(view, value, truth, 'cell', () => {});
    check(row.value);
    const amounts = row.value.amounts as Record<string, number>;
    for (const wrong of [
      { orders: (row.value.orders as number) + 1 },
      { revenue: (row.value.revenue as number) - 1 },
      { smallest: -1 },
      { largest: undefined },
      { basket: (row.value.basket as number) * (1 + 1e-6) },
      { amounts: { ...amounts, p95: (amounts.p95 ?? 0) * 1.05 + 1 } },
    ]) {
      expect(() => check({ ...row.value, ...wrong }), JSON.stringify(wrong)).toThrow();
    }
    const cells: Array<[number, number]> = [];
    expectPresentedValue(view, row.value, truth, 'cell', ([estimate, exact], precision) => {
      cells.push([estimate, exact]);
      expect(precision).toBe(10);
    });
    expect(cells).toEqual([[row.value.customers, truth.customers]]);
    const topK = { name: 'v', fields: [{ ...view.fields[0], kind: 'topK' }] } as never;
    expect(() => expectPresentedValue(topK, row.value, truth, 'cell', () => {})).toThrow(
      'cell orders: no oracle comparison for a topK field',
    );
  });

  it('reads missing fields as NULL and quotes table and column names', async () => {
    const local = await ViewOracle.create();
    try {
      await local.load('odd table', [{ 'a b': 1 }, {}], { 'a b': 'INTEGER', "it's": 'VARCHAR' });
      expect(
        await local.query(`SELECT count(*) AS n, count("a b") AS a, count("it's") AS c FROM "odd table"`),
      ).toEqual([{ n: 2, a: 1, c: 0 }]);
      await expect(local.load('nothing', [])).rejects.toThrow('no columns for oracle table "nothing"');
      await expect(local.rows('v')).rejects.toThrow('no oracle SQL for view "v"');
    } finally {
      local.close();
    }
  });
});
