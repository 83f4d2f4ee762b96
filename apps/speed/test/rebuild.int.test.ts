/**
 * The generation marker: a FLUSHALL mid-stream (on a private redis-server, never the shared one) makes the
 * speed app notice the missing marker at the next batch, restart its sources from the earliest offsets (there
 * is no manifest), set a new generation and rebuild increments equal to the oracle over every event.
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisLayout } from '@oxbow/contracts';
import {
  generateHttpLogs,
  generateSensorReadings,
  WEB_ANALYTICS_PROJECT,
} from '@oxbow/example-web-analytics';
import { EphemeralRedis } from '@oxbow/testing-tools';
import { loadProject } from '@oxbow/views';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type SpeedHandle, startSpeed } from '../src/index.ts';
import { expectAllViewsMatchOracle, oracleOf } from './support/oracle-comparison.ts';
import { createTestNames, FAST_CONSUMER, produce, testConfig, waitFor } from './support/speed-test-env.ts';

let redisServer: EphemeralRedis | undefined;
let speed: SpeedHandle | undefined;
let redis: Redis | undefined;
let lakeDir: string | undefined;

afterAll(async () => {
  await speed?.stop();
  redis?.disconnect();
  await redisServer?.stop();
  if (lakeDir) rmSync(lakeDir, { recursive: true, force: true });
});

describe('generation marker', () => {
  it('rebuilds the increments from Kafka after FLUSHALL mid-stream', async () => {
    redisServer = await EphemeralRedis.start();
    redis = new Redis(redisServer.url);
    const names = await createTestNames('rebuild');
    lakeDir = names.lakeDir;
    const layout = new RedisLayout(names.prefix);
    const logs: string[] = [];
    speed = await startSpeed(await testConfig(names, { OXBOW_REDIS_URL: redisServer.url }), {
      consumer: FAST_CONSUMER,
      log: (line) => logs.push(line),
    });
    const start = Date.now() - 3_600_000;
    const http = [...generateHttpLogs({ count: 1600, seed: 31, startMs: start, ratePerSec: 4 })];
    const sensors = [...generateSensorReadings({ count: 400, seed: 32, startMs: start })];
    const committed = async () => {
      const status = (await redis?.hgetall(layout.status())) ?? {};
      return Number(status[`records:${names.http}`] ?? 0) + Number(status[`records:${names.sensors}`] ?? 0);
    };
    await produce(
      names.http,
      http.slice(0, 800).map((r) => JSON.stringify(r)),
    );
    await produce(
      names.sensors,
      sensors.slice(0, 200).map((r) => JSON.stringify(r)),
    );
    await waitFor(async () => ((await committed()) === 1000 ? true : undefined), 30_000, 'the first half');
    const firstGeneration = await redis.get(layout.generation());
    expect(firstGeneration).toBe(speed.status().generation);

    await redis.flushall();
    await produce(
      names.http,
      http.slice(800).map((r) => JSON.stringify(r)),
    );
    await produce(
      names.sensors,
      sensors.slice(200).map((r) => JSON.stringify(r)),
    );
    await waitFor(
      async () => {
        const seen = await committed();
        if (seen > 2000) throw new Error(`committed ${seen} of 2000 records`);
        return seen === 2000 ? true : undefined;
      },
      40_000,
      'the rebuild',
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${logs.join('\n')}`);
    });
    await sleep(200);
    const generation = await redis.get(layout.generation());
    expect(generation).not.toBeNull();
    expect(generation).not.toBe(firstGeneration);
    expect(speed.status()).toMatchObject({ generation, rebuilds: 1, rebuilding: false });
    expect(logs.some((line) => line.includes('generation marker'))).toBe(true);
    // The new generation records its view set again.
    const project = await loadProject(WEB_ANALYTICS_PROJECT);
    expect((await redis.hgetall(layout.generationViews())).generation).toBe(generation);
    const oracle = await oracleOf(http, sensors);
    expect(await expectAllViewsMatchOracle(redis, layout, oracle, project)).toBeGreaterThan(100);
    oracle.close();
  }, 90_000);
});
