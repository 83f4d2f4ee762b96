import { afterAll, describe, expect, it } from 'vitest';
import { DataflowContext } from '../context.ts';
import { DataflowError } from '../errors.ts';
import { unstableJob, wordCountJob } from './fixtures/word-count.job.ts';

const LINES = Array.from({ length: 300 }, (_, i) => `The fox, the DOG and the ${i % 5} cats.`);
const INPUT = { lines: LINES, stopWords: ['the', 'and'], slices: 6 };

const threaded = new DataflowContext({ parallelism: 2 });
afterAll(() => threaded.stop());

describe('job modules', () => {
  it('run capturing functions on workers and give the in-process answer, accumulators included', async () => {
    const inProcess = new DataflowContext({ parallelism: 1 });
    const expected = inProcess.job(wordCountJob, INPUT);
    const expectedCounts = new Map(await expected.counts.collect());

    const before = threaded.schedulerStats.tasksInWorkers;
    const actual = threaded.job(wordCountJob, INPUT);
    const actualCounts = new Map(await actual.counts.collect());

    expect(actualCounts).toEqual(expectedCounts);
    expect(actualCounts.get('fox')).toBe(300);
    expect(actualCounts.has('the')).toBe(false);
    expect(threaded.schedulerStats.tasksInWorkers - before).toBe(6 + 6);
    expect(actual.dropped.value).toBe(expected.dropped.value);
    expect(actual.dropped.value).toBe(300 * 4);
    await inProcess.stop();
  });

  it('let inline transformations continue a job on workers', async () => {
    const { counts } = threaded.job(wordCountJob, INPUT);
    const top = await counts
      .filter(([, n]) => n >= 300)
      .keys()
      .collect();
    expect(top.sort()).toEqual(['cats', 'dog', 'fox']);
  });

  it('refuse a builder that is not deterministic, with a clear error', async () => {
    threaded.job(unstableJob, { values: [1, 2, 3] });
    const rdd = threaded.job(unstableJob, { values: [1, 2, 3] }); // the second build differs from a first one

    const error = await rdd.collect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(DataflowError.is(error, 'OXBOW_JOB_NOT_DETERMINISTIC')).toBe(true);
    expect((error as Error).message).toContain('a job builder must be deterministic');
  });
});
