/**
 * Fault 3: torn state. The lake holds a truncated `views/_manifest.json` (and a writer's torn temporary beside it)
 * next to a complete history manifest; `oxbow speed` is SIGKILLed, its newest checkpoint is cut in half and a torn
 * temporary checkpoint is left beside it, and it is restarted. It must say what it skipped and recover from the
 * last complete one of each: the history manifest, and the checkpoint before the torn one (replaying to the live
 * views what that one lags behind Redis). The verifier ends with ALL-RECORDS-DELIVERED, and the live views
 * absorbed every record exactly once.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

const RUN = '20261201T000000000Z-0badc0de';
const { redis, running, cleanups } = speedFaultSuite();

describe('torn checkpoint and manifest (fault 3)', () => {
  it('recovers from the last complete checkpoint and manifest, logs what it skipped: ALL-RECORDS-DELIVERED', async () => {
    const names = await createTestNames('torn');
    const layout = new RedisLayout(names.prefix);
    cleanups.push(() => removeSpeedTestData(redis, names));
    // A complete history manifest (watermark epoch 0: it expires nothing of this test) and a torn _manifest.json.
    const manifest = `${JSON.stringify(
      {
        format: 'oxbow-batch-manifest',
        version: 1,
        runId: RUN,
        epochMs: 2000,
        watermarkEpoch: 0,
        endOffsets: {},
        views: [],
        duckdb: `views/v=${RUN}/views.duckdb`,
        startedAt: '2026-12-01T00:00:00.000Z',
        finishedAt: '2026-12-01T00:00:01.000Z',
        durationsMs: { read: 1, compute: 1, write: 1 },
      },
      null,
      2,
    )}\n`;
    mkdirSync(join(names.lakeDir, 'views', '_manifests'), { recursive: true });
    writeFileSync(join(names.lakeDir, 'views', '_manifests', `${RUN}.json`), manifest);
    writeFileSync(join(names.lakeDir, 'views', '_manifest.json'), manifest.slice(0, manifest.length / 2));
    writeFileSync(join(names.lakeDir, 'views', '._manifest.json.oxbow-tmp-torn'), manifest.slice(0, 40));

    const env = testEnv(names, QUICK_SPEED_SETTINGS);
    const logs: string[] = [];
    const failure = withRecentLogs(logs);
    const start0 = Date.now() - 2 * 3_600_000;
    const http = [...generateHttpLogs({ count: 3000, seed: 101, startMs: start0, ratePerSec: 5 })];
    const sensors = [...generateSensorReadings({ count: 900, seed: 102, startMs: start0, ratePerSec: 2 })];
    const total = http.length + sensors.length;
    const committed = () => committedRecords(redis, layout, names);
    const checkpointDir = join(names.lakeDir, 'checkpoints', 'speed');
    const checkpoints = () => {
      try {
        return readdirSync(checkpointDir)
          .filter((name) => name.startsWith('checkpoint-'))
          .sort();
      } catch {
        return [];
      }
    };
    const chunks = 8;
    const slice = (list: readonly object[], c: number) =>
      list.slice((c * list.length) / chunks, ((c + 1) * list.length) / chunks).map((r) => JSON.stringify(r));
    const produceChunk = async (c: number) => {
      await produce(names.http, slice(http, c), `c${c}-`);
      await produce(names.sensors, slice(sensors, c), `c${c}-`);
    };

    const first = startSpeedProcess(env, logs, '0');
    running.push(first);
    // Half of the input in chunks, so the first process commits and checkpoints several times.
    for (let c = 0; c < chunks / 2; c++) {
      await produceChunk(c);
      await sleep(400);
    }
    await waitFor(
      async () => ((await committed()) === total / 2 && checkpoints().length >= 2 ? true : undefined),
      120_000,
      'the first half committed and two checkpoints',
    ).catch((error: unknown) => {
      throw failure(error);
    });
    expect(
      logs.some(
        (line) =>
          line.includes(`the batch manifest is unreadable`) &&
          line.includes(`using views/_manifests/${RUN}.json`),
      ),
      logs.join('\n'),
    ).toBe(true);
    expect((await redis.hget(layout.status(), 'watermarkEpoch')) ?? '').toBe('0');
    first.process.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    const kept = checkpoints();
    const newest = kept.at(-1) as string;
    const bytes = readFileSync(join(checkpointDir, newest));
    writeFileSync(join(checkpointDir, newest), bytes.subarray(0, Math.floor(bytes.length / 2)));
    writeFileSync(join(checkpointDir, `.${newest}.torn.tmp`), bytes.subarray(0, 100));

    const second = startSpeedProcess(env, logs, '1');
    running.push(second);
    for (let c = chunks / 2; c < chunks; c++) await produceChunk(c);
    await waitForEveryRecordCommitted(committed, total, 'every record committed after the restart', failure);
    const damagedLine = logs.find((line) => line.includes(`checkpoint ${newest} is damaged`));
    expect(damagedLine, logs.join('\n')).toBeDefined();
    const restoredLine = logs.find(
      (line) => line.startsWith('1') && line.includes('state restored from the checkpoint'),
    );
    expect(restoredLine, logs.join('\n')).toBeDefined();
    expect(await stopProcess(second.process, second.exited), logs.slice(-30).join('\n')).toBe(0);

    const delivered = await expectSpeedDeliveredAll(redis, layout, http, sensors);
    // The live views resumed from the older checkpoint and were replayed up to Redis: every record absorbed once.
    const anomalies = JSON.parse((await redis.get(layout.live('sensor_anomalies'))) ?? '{}');
    const readings = anomalies.value.bySensor.reduce(
      (n: number, s: { readings: number }) => n + s.readings,
      0,
    );
    expect(readings, logs.join('\n')).toBe(sensors.length);
    const sessions = JSON.parse((await redis.get(layout.live('active_sessions'))) ?? '{}');
    expect(sessions.value.requests, logs.join('\n')).toBe(http.length);
    console.log(
      `torn state: ${damagedLine}\n${restoredLine}\n` +
        `${delivered.http}; ${delivered.sensors}; live views exact`,
    );
  });
});
