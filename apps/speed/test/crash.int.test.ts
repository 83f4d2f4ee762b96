/**
 * Exactly once under crashes: `oxbow speed` runs as a child process and is killed with SIGKILL twice while input
 * flows; after each restart it resumes from the offsets committed in Redis (and its live views from the
 * checkpoint), so the increments end equal to the oracle — nothing lost, nothing doubled. A final SIGTERM
 * finishes the batch and exits 0.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisLayout } from '@oxbow/contracts';
import {
  generateHttpLogs,
  generateSensorReadings,
  WEB_ANALYTICS_PROJECT,
} from '@oxbow/example-web-analytics';
import { loadProject } from '@oxbow/views';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { expectAllViewsMatchOracle, oracleOf } from './support/oracle-comparison.ts';
import {
  createTestNames,
  produce,
  removeTestState,
  startSpeedCli,
  TEST_REDIS_URL,
  testEnv,
  waitFor,
  waitForExactlyCommitted,
} from './support/speed-test-env.ts';

const children: ChildProcess[] = [];
const redis = new Redis(TEST_REDIS_URL);
let cleanup: (() => Promise<void>) | undefined;

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await cleanup?.();
  redis.disconnect();
});

describe('oxbow speed under SIGKILL', () => {
  it('ends with increments equal to the oracle after two kills mid-stream, and exits 0 on SIGTERM', async () => {
    const names = await createTestNames('crash');
    const layout = new RedisLayout(names.prefix);
    cleanup = () => removeTestState(redis, names);
    const env = {
      ...process.env,
      ...testEnv(names, {
        OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '2000',
        OXBOW_SPEED_BATCH_MS: '300',
        OXBOW_SPEED_LIVE_WINDOW_MS: '3000',
        OXBOW_SPEED_LIVE_SLIDE_MS: '600',
      }),
    };
    const logs: string[] = [];
    const start = (): ChildProcess => {
      const child = startSpeedCli(env, logs, children.length);
      children.push(child);
      return child;
    };
    const committedPerTopic = async (): Promise<[number, number]> => {
      const status = await redis.hgetall(layout.status());
      return [Number(status[`records:${names.http}`] ?? 0), Number(status[`records:${names.sensors}`] ?? 0)];
    };
    const committed = async () => (await committedPerTopic()).reduce((a, b) => a + b, 0);

    const start0 = Date.now() - 2 * 3_600_000;
    const http = [...generateHttpLogs({ count: 3000, seed: 21, startMs: start0, ratePerSec: 5 })];
    const sensors = [...generateSensorReadings({ count: 900, seed: 22, startMs: start0, ratePerSec: 2 })];
    const oracle = await oracleOf(http, sensors);
    const chunks = 12;
    // Input flows while each process runs: the chunks of phase k (4 each) are produced once k kills happened, so
    // a restarted app always has records to make progress with, however long a busy machine takes to start it.
    let kills = 0;
    const producing = (async () => {
      for (let c = 0; c < chunks; c++) {
        while (kills < Math.floor(c / 4)) await sleep(100);
        await produce(
          names.http,
          http
            .slice((c * http.length) / chunks, ((c + 1) * http.length) / chunks)
            .map((r) => JSON.stringify(r)),
        );
        await produce(
          names.sensors,
          sensors
            .slice((c * sensors.length) / chunks, ((c + 1) * sensors.length) / chunks)
            .map((r) => JSON.stringify(r)),
        );
        await sleep(600);
      }
    })();

    // A kill comes after the app committed progress of both topics since its (re)start and then checkpointed
    // (without a checkpoint the live views start empty; a partition first assigned after the last checkpoint is
    // a documented limit), at a random point, often between a Redis commit and its checkpoint.
    const checkpointDir = join(names.lakeDir, 'checkpoints', 'speed');
    const newestCheckpoint = (): string =>
      existsSync(checkpointDir)
        ? (readdirSync(checkpointDir)
            .filter((n) => n.startsWith('checkpoint-'))
            .sort()
            .pop() ?? '')
        : '';
    let child = start();
    for (let kill = 0; kill < 2; kill++) {
      const [httpBefore, sensorsBefore] = await committedPerTopic();
      await waitFor(
        async () => {
          const [httpNow, sensorsNow] = await committedPerTopic();
          return httpNow > httpBefore && sensorsNow > sensorsBefore ? true : undefined;
        },
        // A restarted app waits for the killed member's session to time out before it gets its partitions back;
        // on a busy machine that and the start take a while.
        90_000,
        `progress of both topics before kill ${kill + 1}`,
      );
      const checkpointBefore = newestCheckpoint();
      await waitFor(
        () => (newestCheckpoint() > checkpointBefore ? true : undefined),
        30_000,
        `a checkpoint before kill ${kill + 1}`,
      );
      await sleep(Math.floor(Math.random() * 300));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      kills++;
      child = start();
    }
    await producing;
    const total = http.length + sensors.length;
    await waitForExactlyCommitted(committed, total, 45_000, 'every record to be committed', logs);
    const project = await loadProject(WEB_ANALYTICS_PROJECT);
    expect(await expectAllViewsMatchOracle(redis, layout, oracle, project)).toBeGreaterThan(200);
    oracle.close();

    // The live views resumed from the checkpoint (replaying what it lagged behind Redis): every reading and
    // request was absorbed exactly once.
    const anomalies = JSON.parse((await redis.get(layout.live('sensor_anomalies'))) ?? '{}');
    const readings = anomalies.value.bySensor.reduce(
      (n: number, s: { readings: number }) => n + s.readings,
      0,
    );
    expect(readings, logs.join('\n')).toBe(sensors.length);
    const sessions = JSON.parse((await redis.get(layout.live('active_sessions'))) ?? '{}');
    expect(sessions.value.requests, logs.join('\n')).toBe(http.length);
    expect(
      logs.filter((line) => line.includes('state restored from the checkpoint')),
      logs.join('\n'),
    ).toHaveLength(2);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logs.some((line) => line.includes('oxbow speed: stopped after'))).toBe(true);
    expect((await redis.hget(layout.status(), 'state')) ?? '').toBe('stopped');
  }, 300_000);
});
