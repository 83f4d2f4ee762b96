import { afterAll, describe, expect, it } from 'vitest';
import { DataflowContext } from '../context.ts';
import { delayedNumbers, sourceJob } from './fixtures/word-count.job.ts';

const threaded = new DataflowContext({ parallelism: 2 });
afterAll(() => threaded.stop());

function expected(partitions: number, perPartition: number): Map<number, number> {
  const sums = new Map<number, number>();
  for (let x = 0; x < partitions * perPartition; x++) sums.set(x % 3, (sums.get(x % 3) ?? 0) + x * x);
  return sums;
}

describe('fromSource', () => {
  it('reads partitions asynchronously inside tasks on the driver', async () => {
    const reasons: string[] = [];
    const ctx = new DataflowContext({ parallelism: 2, onInProcessStage: (r) => reasons.push(r) });
    const rdd = ctx.fromSource(delayedNumbers(4, 50));
    expect(rdd.getNumPartitions()).toBe(4);
    expect(await rdd.count()).toBe(200);
    expect(
      await rdd
        .zip(rdd.map((x) => -x))
        .filter(([a, b]) => a + b !== 0)
        .count(),
    ).toBe(0);
    expect(reasons[0]).toContain('build it inside a job module');
    expect(ctx.schedulerStats.tasksInWorkers).toBe(0);
    await ctx.stop();
  });

  it('reads partitions in worker threads when built in a job module', async () => {
    const before = { ...threaded.schedulerStats };
    const sums = new Map(await threaded.job(sourceJob, { partitions: 6, perPartition: 100 }).collect());
    expect(sums).toEqual(expected(6, 100));
    // Both stages (read + map-side combine with a capturing reduce, then the merge) ran in workers.
    expect(threaded.schedulerStats.tasksInWorkers - before.tasksInWorkers).toBe(6 + 6);
    expect(threaded.schedulerStats.tasksInProcess - before.tasksInProcess).toBe(0);
  });
});
