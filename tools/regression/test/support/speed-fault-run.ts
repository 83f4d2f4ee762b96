/**
 * The steps the speed fault suites share: the quick speed settings they run with, removing a test's Redis keys and
 * directories, counting the records `oxbow speed` committed, waiting until every produced record is committed,
 * and the verifier's ALL-RECORDS-DELIVERED check on both topics.
 */
import { rmSync } from 'node:fs';
import type { RedisLayout } from '@oxbow/contracts';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import {
  type SpeedTestNames,
  scanKeys,
  waitFor,
} from '../../../../apps/speed/test/support/speed-test-env.ts';
import type { SpeedProcess } from './speed-process.ts';
import { speedVerdicts } from './speed-verdict.ts';

/**
 * Speed settings short enough for kills, restarts and rebalances to happen within a test: a 2 s group session,
 * 300 ms batches, a 3 s live window sliding every 600 ms.
 */
export const QUICK_SPEED_SETTINGS: Readonly<Record<string, string>> = {
  OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '2000',
  OXBOW_SPEED_BATCH_MS: '300',
  OXBOW_SPEED_LIVE_WINDOW_MS: '3000',
  OXBOW_SPEED_LIVE_SLIDE_MS: '600',
};

/** SIGKILLs every process of `running` that has not exited yet (an `afterAll` step). */
export function killLeftoverProcesses(running: readonly SpeedProcess[]): void {
  for (const child of running) if (child.process.exitCode === null) child.process.kill('SIGKILL');
}

/** Deletes the Redis keys under the test's prefix, its lake directory and the `extraDirs`. */
export async function removeSpeedTestData(
  redis: Redis,
  names: Pick<SpeedTestNames, 'prefix' | 'lakeDir'>,
  ...extraDirs: string[]
): Promise<void> {
  for (const key of await scanKeys(redis, `${names.prefix}*`)) await redis.unlink(key);
  rmSync(names.lakeDir, { recursive: true, force: true });
  for (const dir of extraDirs) rmSync(dir, { recursive: true, force: true });
}

/** Wraps an error with the last `lines` lines of `logs`, for failure messages that show what the processes said. */
export function withRecentLogs(logs: readonly string[], lines = 60): (error: unknown) => Error {
  return (error: unknown) => new Error(`${(error as Error).message}\n${logs.slice(-lines).join('\n')}`);
}

/** The records of both topics `oxbow speed` counted as committed in its Redis status hash. */
export async function committedRecords(
  redis: Redis,
  layout: RedisLayout,
  names: Pick<SpeedTestNames, 'http' | 'sensors'>,
): Promise<number> {
  const status = await redis.hgetall(layout.status());
  return Number(status[`records:${names.http}`] ?? 0) + Number(status[`records:${names.sensors}`] ?? 0);
}

/**
 * Waits until `committed()` reaches `total`; fails at once if it passes `total` (a record counted twice), and
 * after `timeoutMs` with `what`, each failure passed through `failure`.
 */
export async function waitForEveryRecordCommitted(
  committed: () => Promise<number>,
  total: number,
  what: string,
  failure: (error: unknown) => Error,
  timeoutMs = 120_000,
): Promise<void> {
  await waitFor(
    async () => {
      const seen = await committed();
      if (seen > total) throw new Error(`committed ${seen} records, only ${total} were produced`);
      return seen === total ? true : undefined;
    },
    timeoutMs,
    what,
  ).catch((error: unknown) => {
    throw failure(error);
  });
}

/**
 * The verifier's verdicts on the speed layer ({@link speedVerdicts}), expected ALL-RECORDS-DELIVERED for both
 * topics; returns them with a one-line summary of each for the test's log.
 */
export async function expectSpeedDeliveredAll(
  redis: Redis,
  layout: RedisLayout,
  http: readonly object[],
  sensors: readonly object[],
): Promise<{ http: string; sensors: string }> {
  const verdicts = await speedVerdicts(redis, layout, http, sensors);
  expect(verdicts.http.verdict, verdicts.http.summary).toBe('ALL-RECORDS-DELIVERED');
  expect(verdicts.sensors.verdict, verdicts.sensors.summary).toBe('ALL-RECORDS-DELIVERED');
  return {
    http: verdicts.http.summary.split('\n')[0] ?? '',
    sensors: verdicts.sensors.summary.split('\n')[0] ?? '',
  };
}
