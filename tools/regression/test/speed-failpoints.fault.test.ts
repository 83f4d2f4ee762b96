/**
 * Fault 2 (speed layer): `oxbow speed` runs with `OXBOW_FAILPOINT=<name>` and kills itself with SIGKILL the first
 * time it reaches that point of its sink — the batch folded but nothing written (`mid-batch`), increments and Redis
 * offsets committed but no checkpoint (`after-sink-before-offset`), everything of the batch written
 * (`after-offset`), a checkpoint's temporary file synced but not renamed (`mid-file-publish`). It is restarted
 * with the same environment (the marker in OXBOW_FAILPOINT_DIR keeps the point from firing again) while the rest
 * of the input is produced, stopped with SIGTERM, and the verifier compares the increments with the produced
 * records: ALL-RECORDS-DELIVERED.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FailpointName } from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import { generateHttpLogs, generateSensorReadings } from '@oxbow/example-web-analytics';
import { describe, expect, it } from 'vitest';
import { createTestNames, produce, testEnv } from '../../../apps/speed/test/support/speed-test-env.ts';
import {
  committedRecords,
  expectSpeedDeliveredAll,
  QUICK_SPEED_SETTINGS,
  removeSpeedTestData,
  speedFaultSuite,
  waitForEveryRecordCommitted,
  withRecentLogs,
} from './support/speed-fault-run.ts';
import { startSpeedProcess, stopProcess, within } from './support/speed-process.ts';

const { redis, running, cleanups } = speedFaultSuite();

async function speedUnderFailpoint(failpoint: FailpointName, seed: number): Promise<void> {
  const names = await createTestNames(`fp-${failpoint}`);
  const markers = mkdtempSync(join(tmpdir(), 'oxbow-failpoint-'));
  const layout = new RedisLayout(names.prefix);
  cleanups.push(() => removeSpeedTestData(redis, names, markers));
  const env = testEnv(names, {
    ...QUICK_SPEED_SETTINGS,
    OXBOW_FAILPOINT: failpoint,
    OXBOW_FAILPOINT_DIR: markers,
  });
  const logs: string[] = [];
  const start0 = Date.now() - 2 * 3_600_000;
  const http = [...generateHttpLogs({ count: 2000, seed, startMs: start0, ratePerSec: 5 })];
  const sensors = [...generateSensorReadings({ count: 600, seed: seed + 1, startMs: start0, ratePerSec: 2 })];
  const half = (list: readonly object[], second: boolean) =>
    (second ? list.slice(list.length / 2) : list.slice(0, list.length / 2)).map((r) => JSON.stringify(r));
  const failure = withRecentLogs(logs);

  // The first half is waiting in Kafka: the first batches reach the failpoint.
  await produce(names.http, half(http, false));
  await produce(names.sensors, half(sensors, false));
  const first = startSpeedProcess(env, logs, '0');
  running.push(first);
  const firstEnd = await within(first.exited, 120_000, `failpoint ${failpoint} to fire`).catch(
    (error: unknown) => {
      throw failure(error);
    },
  );
  expect(firstEnd, logs.join('\n')).toBe('SIGKILL');
  expect(existsSync(join(markers, `${failpoint}.fired`))).toBe(true);
  expect(logs.some((line) => line.includes(`failpoint ${failpoint}: SIGKILL`))).toBe(true);

  // Restarted with the same environment: the failpoint stays quiet, the second half arrives while it runs.
  const second = startSpeedProcess(env, logs, '1');
  running.push(second);
  await produce(names.http, half(http, true), 'm');
  await produce(names.sensors, half(sensors, true), 'm');
  const total = http.length + sensors.length;
  await waitForEveryRecordCommitted(
    () => committedRecords(redis, layout, names),
    total,
    'every record to be committed after the restart',
    failure,
  );
  expect(await stopProcess(second.process, second.exited), logs.slice(-30).join('\n')).toBe(0);

  const delivered = await expectSpeedDeliveredAll(redis, layout, http, sensors);
  console.log(`speed failpoint ${failpoint}: ${delivered.http}; ${delivered.sensors}`);
}

describe('oxbow speed under failpoints (fault 2)', () => {
  it('mid-batch: killed after folding a batch, before writing it', () =>
    speedUnderFailpoint('mid-batch', 41));
  it('after-sink-before-offset: killed between the Redis commit and the checkpoint', () =>
    speedUnderFailpoint('after-sink-before-offset', 43));
  it('after-offset: killed after a batch and its offsets were written', () =>
    speedUnderFailpoint('after-offset', 45));
  it('mid-file-publish: killed with a checkpoint written but not renamed into place', () =>
    speedUnderFailpoint('mid-file-publish', 47));
});
