/**
 * The steps the speed fault suites share: the quick speed settings they run with, removing a test's Redis keys and
 * directories, counting the records `oxbow speed` committed, waiting until every produced record is committed,
 * and the verifier's ALL-RECORDS-DELIVERED check on both topics.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisLayout } from '@oxbow/contracts';
import { Redis } from 'ioredis';
import { afterAll, expect } from 'vitest';
import {
  produce,
  type SpeedTestNames,
  scanKeys,
  TEST_REDIS_URL,
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
function killLeftoverProcesses(running: readonly SpeedProcess[]): void {
  for (const child of running) if (child.process.exitCode === null) child.process.kill('SIGKILL');
}

/** What a speed fault suite on the shared stack keeps for its `afterAll`. */
export interface SpeedFaultSuite {
  /** A client of the shared stack's Redis, disconnected after the suite. */
  readonly redis: Redis;
  /** The `oxbow speed` processes the suite started: those still alive are SIGKILLed after it. */
  readonly running: SpeedProcess[];
  /** Run in order after the suite (say {@link removeSpeedTestData}). */
  readonly cleanups: Array<() => Promise<void>>;
}

/**
 * Sets up a speed fault suite on the shared stack and registers its `afterAll`: SIGKILL the processes still
 * running, run the cleanups in order, disconnect from Redis. Call it at the top level of a test file.
 */
export function speedFaultSuite(): SpeedFaultSuite {
  const suite: SpeedFaultSuite = { redis: new Redis(TEST_REDIS_URL), running: [], cleanups: [] };
  afterAll(async () => {
    killLeftoverProcesses(suite.running);
    for (const cleanup of suite.cleanups) await cleanup();
    suite.redis.disconnect();
  });
  return suite;
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
 * Waits until `committed()` reaches `total`; fails at once if it passes `total` (a record counted twice) or, when
 * `speed` is given, if that `oxbow speed` process exited, and after `timeoutMs` with `what`; each failure passed
 * through `failure`.
 */
export async function waitForEveryRecordCommitted(
  committed: () => Promise<number>,
  total: number,
  what: string,
  failure: (error: unknown) => Error,
  timeoutMs = 120_000,
  speed?: ChildProcess,
): Promise<void> {
  await waitFor(
    async () => {
      if (speed !== undefined && speed.exitCode !== null)
        throw new Error(`oxbow speed exited (${speed.exitCode})`);
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

/**
 * Produces `http` and `sensors` to the test's topics in `chunks` equal slices (the keys of slice k start `c<k>-`),
 * pausing `pauseMs` after each: input that keeps flowing while the test does its damage.
 */
export async function produceInChunks(
  names: Pick<SpeedTestNames, 'http' | 'sensors'>,
  http: readonly object[],
  sensors: readonly object[],
  chunks: number,
  pauseMs: number,
): Promise<void> {
  const slice = (list: readonly object[], c: number) =>
    list.slice((c * list.length) / chunks, ((c + 1) * list.length) / chunks).map((r) => JSON.stringify(r));
  for (let c = 0; c < chunks; c++) {
    await produce(names.http, slice(http, c), `c${c}-`);
    await produce(names.sensors, slice(sensors, c), `c${c}-`);
    await sleep(pauseMs);
  }
}
