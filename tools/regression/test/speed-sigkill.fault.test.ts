/**
 * Fault 1: `oxbow speed` killed with SIGKILL five times at random points while input flows (each time after it
 * committed progress since its start, then after a random delay), restarted each time, stopped with SIGTERM; the
 * verifier compares the increments with the produced records: ALL-RECORDS-DELIVERED.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisLayout } from '@oxbow/contracts';
import { generateHttpLogs, generateSensorReadings } from '@oxbow/example-web-analytics';
import { describe, expect, it } from 'vitest';
import {
  createTestNames,
  produce,
  testEnv,
  waitFor,
} from '../../../apps/speed/test/support/speed-test-env.ts';
import {
  committedRecords,
  expectSpeedDeliveredAll,
  QUICK_SPEED_SETTINGS,
  removeSpeedTestData,
  speedFaultSuite,
  waitForEveryRecordCommitted,
  withRecentLogs,
} from './support/speed-fault-run.ts';
import { startSpeedProcess, stopProcess } from './support/speed-process.ts';

const KILLS = 5;
const { redis, running, cleanups } = speedFaultSuite();

describe('oxbow speed SIGKILLed at random points (fault 1)', () => {
  it(`ends ALL-RECORDS-DELIVERED after ${KILLS} kills and restarts`, async () => {
    const names = await createTestNames('sigkill');
    const layout = new RedisLayout(names.prefix);
    cleanups.push(() => removeSpeedTestData(redis, names));
    const env = testEnv(names, QUICK_SPEED_SETTINGS);
    const logs: string[] = [];
    const start0 = Date.now() - 2 * 3_600_000;
    const http = [...generateHttpLogs({ count: 4000, seed: 61, startMs: start0, ratePerSec: 5 })];
    const sensors = [...generateSensorReadings({ count: 1200, seed: 62, startMs: start0, ratePerSec: 2 })];
    const total = http.length + sensors.length;
    const committed = () => committedRecords(redis, layout, names);
    const failure = withRecentLogs(logs);

    // Input flows in chunks; the chunks of phase k are produced once k kills happened, so every restarted process
    // has records to make progress with.
    const chunks = (KILLS + 1) * 3;
    let kills = 0;
    const slice = (list: readonly object[], c: number) =>
      list.slice((c * list.length) / chunks, ((c + 1) * list.length) / chunks).map((r) => JSON.stringify(r));
    const producing = (async () => {
      for (let c = 0; c < chunks; c++) {
        while (kills < Math.floor(c / 3)) await sleep(100);
        await produce(names.http, slice(http, c), `c${c}-`);
        await produce(names.sensors, slice(sensors, c), `c${c}-`);
        await sleep(300);
      }
    })();

    let child = startSpeedProcess(env, logs, '0');
    running.push(child);
    for (; kills < KILLS; ) {
      const before = await committed();
      await waitFor(
        async () => ((await committed()) > before ? true : undefined),
        120_000,
        `progress before kill ${kills + 1}`,
      ).catch((error: unknown) => {
        throw failure(error);
      });
      await sleep(Math.floor(Math.random() * 500));
      child.process.kill('SIGKILL');
      expect(await child.exited).toBe('SIGKILL');
      kills++;
      child = startSpeedProcess(env, logs, String(kills));
      running.push(child);
    }
    await producing;
    await waitForEveryRecordCommitted(committed, total, 'every record to be committed', failure);
    expect(await stopProcess(child.process, child.exited), logs.slice(-30).join('\n')).toBe(0);

    const delivered = await expectSpeedDeliveredAll(redis, layout, http, sensors);
    console.log(`speed SIGKILLed ${KILLS} times: ${delivered.http}; ${delivered.sensors}`);
  });
});
