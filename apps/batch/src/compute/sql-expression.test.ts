import { DuckDBInstance } from '@duckdb/node-api';
import { type AnyEvent, defineSchema, f } from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseViewFunction } from './function-source.ts';
import { compileViewFunction, truthy } from './sql-expression.ts';

const orders = defineSchema(
  'orders',
  {
    at: f.timestamp(),
    store: f.string(),
    cents: f.int({ min: -1000, max: 1000 }),
    rate: f.double({ min: -10, max: 10 }),
    paid: f.boolean(),
    coupon: f.string().optional(),
    tip: f.double({ min: 0, max: 100 }).optional(),
    vip: f.boolean().optional(),
  },
  { eventTime: 'at' },
);

const events: AnyEvent[] = [
  { at: 1, store: 'a', cents: 0, rate: 0.5, paid: true },
  { at: 2, store: '', cents: -5, rate: -2.25, paid: false, coupon: 'X', tip: 0, vip: false },
  { at: 3, store: 'b', cents: 700, rate: 10, paid: true, coupon: '', tip: 12.5, vip: true },
  { at: 4, store: "o'hara", cents: 1, rate: 0.1, paid: false, tip: 3 },
];

// Each is evaluated by JavaScript and by DuckDB on every event: the SQL must give what the function gives.
const compiled: Array<(e: AnyEvent) => unknown> = [
  (e) => e.cents > 0,
  (e) => e.cents >= 0 && !e.paid,
  (e) => e.paid || e.cents === -5,
  (e) => e.coupon !== undefined,
  (e) => e.coupon === undefined,
  (e) => e.coupon === 'X',
  (e) => e.coupon !== 'X',
  (e) => e.coupon == null,
  (e) => e.coupon === null,
  (e) => !e.coupon,
  (e) => !e.tip,
  (e) => !e.vip,
  (e) => e.tip > 1,
  (e) => !(e.tip > 1),
  (e) => e.tip === e.rate,
  (e) => e.store === "o'hara",
  (e) => e.rate * 2 - e.cents,
  (e) => e.cents / 4,
  (e) => e.cents % 3,
  (e) => -e.rate,
  (e) => (e.paid ? e.cents : e.rate),
  (e) => e.store + '/' + e.store,
  (e) => e.tip,
  ({ cents, rate: r }) => cents + r,
  function named(order: AnyEvent) {
    return order.cents >= 1;
  },
  (e) => e.vip === true,
  (e) => e.missing === undefined,
  () => 'constant',
];

const refused: Array<(e: AnyEvent) => unknown> = [
  (e) => e.store < 'b', // UTF-16 vs UTF-8 ordering
  (e) => e.cents / e.rate, // x / 0 differs
  (e) => e.coupon ?? 'none',
  (e) => e.cents && e.paid,
  // biome-ignore lint/suspicious/noDoubleEquals: loose equality between types is what is refused.
  (e) => e.coupon == 0,
  (e) => e.store.length,
  (e) => String(e.cents),
  (e) => e[`st${'ore'}`],
  (e) => {
    const cents = e.cents;
    return cents > 0;
  },
  async (e) => e.paid,
  (e) => `${e.store}!`,
];

let instance: DuckDBInstance;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(
    'CREATE TABLE orders ("at" BIGINT, store VARCHAR, cents INTEGER, rate DOUBLE, paid BOOLEAN, coupon VARCHAR, tip DOUBLE, vip BOOLEAN)',
  );
  const appender = await connection.createAppender('orders');
  for (const event of events) {
    appender.appendBigInt(BigInt(event.at));
    appender.appendVarchar(event.store);
    appender.appendInteger(event.cents);
    appender.appendDouble(event.rate);
    appender.appendBoolean(event.paid);
    if (event.coupon === undefined) appender.appendNull();
    else appender.appendVarchar(event.coupon);
    if (event.tip === undefined) appender.appendNull();
    else appender.appendDouble(event.tip);
    if (event.vip === undefined) appender.appendNull();
    else appender.appendBoolean(event.vip);
    appender.endRow();
  }
  appender.closeSync();
  connection.closeSync();
});

afterAll(() => instance?.closeSync());

describe('compileViewFunction', () => {
  it.each(compiled.map((fn) => [fn.toString(), fn]))('%s gives what the function gives', async (_, fn) => {
    const sql = compileViewFunction(fn, orders);
    expect(sql, 'compiles').toBeDefined();
    if (sql === undefined) return;
    const connection = await instance.connect();
    try {
      const rows = (
        await connection.runAndReadAll(
          `SELECT ${sql.sql} AS value, ${truthy(sql)} AS truthy FROM orders ORDER BY "at"`,
        )
      ).getRowsJS();
      events.forEach((event, index) => {
        const expected = fn(event);
        const [value, isTruthy] = rows[index] ?? [];
        expect(isTruthy, `truthiness of ${JSON.stringify(event)}`).toBe(Boolean(expected));
        if (sql.type === 'number' || sql.type === 'string' || sql.type === 'boolean') {
          expect(value ?? undefined, JSON.stringify(event)).toEqual(expected);
        }
      });
    } finally {
      connection.closeSync();
    }
  });

  it.each(refused.map((fn) => [fn.toString(), fn]))('refuses %s', (_, fn) => {
    expect(compileViewFunction(fn, orders)).toBeUndefined();
  });

  it('reads the one-parameter forms of a view function', () => {
    expect(parseViewFunction((e: AnyEvent) => e.cents)?.body).toEqual({ type: 'field', name: 'cents' });
    expect(parseViewFunction((order?: AnyEvent) => order?.cents)?.body).toEqual({
      type: 'field',
      name: 'cents',
    });
    expect(parseViewFunction(Math.abs)).toBeUndefined();
    expect(parseViewFunction('e => e.cents')).toBeUndefined();
  });
});
