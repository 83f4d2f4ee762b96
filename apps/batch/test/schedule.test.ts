/**
 * Two schedulers on the same lake with a cron of every second (as two `oxbow batch schedule` processes would
 * be): the lake lock lets only one run at a time, so the lock-holding intervals of all runs never overlap.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openFileSystem } from '@oxbow/connectors';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ProgressReporter } from '../src/run/progress.ts';
import type { BatchRunSummary } from '../src/run/run-batch.ts';
import { scheduleBatch } from '../src/schedule/schedule-batch.ts';
import { writeGeneratedLake } from './support/generated-lake.ts';
import { testConfig } from './support/test-config.ts';

let dir: string;
let lakeUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oxbow-batch-schedule-'));
  lakeUrl = `${pathToFileURL(dir).href}/`;
  const fs = openFileSystem(lakeUrl);
  await writeGeneratedLake(fs, { epochMs: 30_000, httpCount: 600, sensorCount: 200 });
  await fs.close();
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Records, per scheduler, when a run held the lock: from `run-started` (logged once locked) to `end`. */
function lockTimeline(
  intervals: Array<{ from: number; to: number; who: string }>,
  who: string,
): ProgressReporter {
  let from: number | undefined;
  return {
    stage: () => {},
    advance: () => {},
    log(event) {
      if (event === 'run-started') from = performance.now();
    },
    end() {
      if (from !== undefined) intervals.push({ from, to: performance.now(), who });
      from = undefined;
    },
  };
}

it('two schedulers racing on a cron of every second never run at once', async () => {
  const intervals: Array<{ from: number; to: number; who: string }> = [];
  const outcomes: BatchRunSummary['status'][] = [];
  const errors: unknown[] = [];
  const schedulers = ['a', 'b'].map((who) =>
    scheduleBatch(testConfig(lakeUrl), {
      cron: '* * * * * *',
      views: ['status_minutely', 'sensor_hourly'],
      engine: 'rdd',
      lockSettleMs: 50,
      progress: lockTimeline(intervals, who),
      onRun: (summary) => outcomes.push(summary.status),
      onError: (error) => errors.push(error),
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 4200));
  await Promise.all(schedulers.map((schedule) => schedule.stop()));

  expect(errors).toEqual([]);
  expect(outcomes.filter((status) => status === 'published').length).toBeGreaterThanOrEqual(2);
  expect(outcomes).toContain('locked');
  expect(intervals.length).toBe(outcomes.filter((status) => status === 'published').length);
  const sorted = [...intervals].sort((x, y) => x.from - y.from);
  for (let index = 1; index < sorted.length; index++) {
    const before = sorted[index - 1];
    const after = sorted[index];
    expect(after?.from, JSON.stringify(sorted)).toBeGreaterThanOrEqual(before?.to ?? 0);
  }
});
