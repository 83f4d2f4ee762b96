/**
 * Engine behaviour beyond operator results: errors, stopped contexts, worker use and failure, spill, lineage text.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DataflowContext } from '../context.ts';
import { DataflowError } from '../errors.ts';

const threaded = new DataflowContext({ parallelism: 2 });
afterAll(() => threaded.stop());

function wordCount(ctx: DataflowContext, lines: string[]) {
  return ctx
    .parallelize(lines, 4)
    .flatMap((line) => line.split(/\s+/).filter((w) => w.length > 0))
    .map((word): [string, number] => [word.toLowerCase(), 1])
    .reduceByKey((a, b) => a + b);
}

const LINES = Array.from(
  { length: 500 },
  (_, i) => `the quick brown fox ${i % 7} jumps over the lazy dog ${i % 13}`,
);

describe('DataflowContext', () => {
  it('rejects bad arguments with clear messages', () => {
    const ctx = new DataflowContext({ parallelism: 1 });
    expect(() => ctx.parallelize([1], 0)).toThrow('Positive number of partitions required');
    expect(() => new DataflowContext({ parallelism: 0 })).toThrow('parallelism must be a positive integer');
    expect(() => ctx.range(0, 10, 0)).toThrow('step cannot be 0');
    expect(() => ctx.parallelize([1]).sample(false, 2)).toThrow('Fraction must be at most 1');
  });

  it('fails actions on a stopped context', async () => {
    const ctx = new DataflowContext({ parallelism: 1 });
    const rdd = ctx.parallelize([1, 2, 3]);
    await ctx.stop();
    await expect(rdd.count()).rejects.toThrow('stopped DataflowContext');
    expect(() => ctx.parallelize([1])).toThrow('stopped DataflowContext');
  });

  it('fails zip of unequal partitions and of unequal partition sizes', async () => {
    const ctx = new DataflowContext({ parallelism: 1 });
    expect(() => ctx.parallelize([1, 2], 2).zip(ctx.parallelize([1, 2], 1))).toThrow(
      "Can't zip RDDs with unequal numbers of partitions",
    );
    await expect(
      ctx
        .parallelize([1, 2], 2)
        .zip(ctx.parallelize([1, 2, 3], 2))
        .collect(),
    ).rejects.toThrow('same number of elements in each partition');
  });

  it('makes empty RDDs and unions', async () => {
    const ctx = new DataflowContext({ parallelism: 1 });
    expect(await ctx.emptyRDD<number>().count()).toBe(0);
    expect(await ctx.union([ctx.parallelize([1]), ctx.parallelize([2, 3])]).collect()).toEqual([1, 2, 3]);
    expect(await ctx.range(10, 0, -3, 2).collect()).toEqual([10, 7, 4, 1]);
    expect(await ctx.makeRDD(['x']).first()).toBe('x');
  });
});

describe('workers', () => {
  it('gives the same word count at parallelism 1 and 2, running tasks in workers', async () => {
    const inProcess = new DataflowContext({ parallelism: 1 });
    const expected = new Map(await wordCount(inProcess, LINES).collect());
    const before = threaded.schedulerStats.tasksInWorkers;
    const actual = new Map(await wordCount(threaded, LINES).collect());
    expect(actual).toEqual(expected);
    expect(expected.get('the')).toBe(1000);
    expect(threaded.schedulerStats.tasksInWorkers).toBeGreaterThan(before);
    expect(inProcess.schedulerStats.tasksInWorkers).toBe(0);
  });

  it('runs a stage whose functions capture driver state in-process, with the same answer', async () => {
    const reasons: string[] = [];
    const ctx = new DataflowContext({ parallelism: 2, onInProcessStage: (r) => reasons.push(r) });
    const offset = 100;
    const seen = ctx.longAccumulator('seen');
    const result = await ctx
      .parallelize([1, 2, 3, 4], 2)
      .map((x) => {
        seen.add(1);
        return x + offset;
      })
      .collect();
    expect(result).toEqual([101, 102, 103, 104]);
    expect(seen.value).toBe(4);
    expect(reasons[0]).toMatch(/reads 'seen', 'offset'|reads 'offset', 'seen'/);
    await ctx.stop();
  });

  it('fails the job cleanly when a function throws in a worker, naming operator, partition and cause', async () => {
    const job = threaded
      .parallelize([1, 2, 3, 4], 2)
      .map((x) => {
        if (x === 3) throw new Error('bad record 3');
        return x;
      })
      .collect();
    const error = await job.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(DataflowError.is(error, 'OXBOW_TASK_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(
      /^map at MapPartitionsRDD\[\d+\] failed in partition 1: bad record 3$/,
    );
    expect(((error as Error).cause as Error).message).toBe('bad record 3');
    // The pool is still healthy afterwards.
    expect(
      await threaded
        .parallelize([1, 2, 3], 3)
        .map((x) => x * 2)
        .collect(),
    ).toEqual([2, 4, 6]);
  });

  it('fails a throwing reduce function in a shuffle with the cause', async () => {
    await expect(
      threaded
        .parallelize(
          [
            ['a', 1],
            ['a', 2],
          ] as [string, number][],
          1,
        )
        .reduceByKey(() => {
          throw new Error('no merging');
        })
        .collect(),
    ).rejects.toThrow('no merging');
  });

  it('leaves no worker behind after stop', async () => {
    const ctx = new DataflowContext({ parallelism: 2 });
    await ctx
      .parallelize([1, 2, 3, 4], 4)
      .map((x) => x + 1)
      .collect();
    expect(ctx.schedulerStats.tasksInWorkers).toBe(4);
    await ctx.stop();
    expect(() => ctx.parallelize([1])).toThrow('stopped');
  });

  it('refuses actions inside a task (no nested jobs), like Spark', async () => {
    const ctx = new DataflowContext({ parallelism: 1 });
    const inner = ctx.parallelize([1]);
    const [pending] = await ctx
      .parallelize([1])
      .map(() => inner.count())
      .collect();
    await expect(pending).rejects.toThrow('RDD actions can only be invoked by the driver');
    await ctx.stop();
  });
});

describe('shuffle spill', () => {
  it('spills shuffle blocks past the memory budget and still gives the exact answer', async () => {
    const ctx = new DataflowContext({ parallelism: 1, shuffleMemoryBytes: 64 * 1024 });
    const n = 60_000;
    const grouped = await ctx
      .range(0, n, 1, 6)
      .map((x): [number, number] => [x % 1000, x])
      .groupByKey(4)
      .mapValues((vs) => vs.length)
      .collect();
    expect(grouped).toHaveLength(1000);
    expect(grouped.every(([, count]) => count === n / 1000)).toBe(true);
    expect(ctx.shuffleStats.bytesSpilled).toBeGreaterThan(0);
    await ctx.stop();
  });
});

describe('toDebugString', () => {
  it('shows the lineage with the shuffle boundary indented, as Spark does', () => {
    const ctx = new DataflowContext({ parallelism: 2 });
    const text = wordCount(ctx, ['a']).toDebugString();
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^\(4\) ShuffledRDD\[\d+\] at reduceByKey \[\]$/),
      expect.stringMatching(/^ \+-\(4\) MapPartitionsRDD\[\d+\] at map \[\]$/),
      expect.stringMatching(/^ {4}\| {2}MapPartitionsRDD\[\d+\] at flatMap \[\]$/),
      expect.stringMatching(/^ {4}\| {2}ParallelCollectionRDD\[\d+\] at parallelize \[\]$/),
    ]);
  });
});
