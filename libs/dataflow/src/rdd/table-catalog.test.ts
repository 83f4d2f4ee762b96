import { afterAll, describe, expect, it } from 'vitest';
import { DataflowContext } from '../context.ts';
import type { RDD } from './rdd.ts';
import type { TableCatalog } from './table-catalog.ts';

const ctx = new DataflowContext({ parallelism: 1 });
afterAll(() => ctx.stop());

describe('RDD.toTable', () => {
  it('registers the RDD with the catalog under the name, runs no job and returns the RDD', async () => {
    const registered = new Map<string, RDD<unknown>>();
    const catalog: TableCatalog = { registerTable: (name, rdd) => registered.set(name, rdd) };
    const jobsBefore = ctx.schedulerStats.jobs;
    const rdd = ctx.parallelize([{ user: 'u1' }, { user: 'u2' }]);

    expect(rdd.toTable(catalog, 'users')).toBe(rdd);
    expect(ctx.schedulerStats.jobs).toBe(jobsBefore);
    expect(registered.get('users')).toBe(rdd);

    const other = rdd.filter((row) => row.user === 'u2').toTable(catalog, 'users');
    expect(registered.get('users')).toBe(other);
    expect(await registered.get('users')?.collect()).toEqual([{ user: 'u2' }]);
  });
});
