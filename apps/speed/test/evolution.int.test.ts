/**
 * Evolution of a project: the speed layer runs the web-analytics example, a batch manifest covers the first
 * part of the input, and the speed layer is restarted on a project where `status_minutely` changed (a filter),
 * `method_hourly` was added and `country_daily` removed. The changed view set starts a new generation: every
 * increment is rebuilt by replaying Kafka from the manifest's end offsets, so the changed view equals the oracle
 * of its new definition (no old state merged), the added view covers everything after the end offsets, the
 * unchanged views stay exact and the removed view's state is gone. The status says `rebuilding` until the
 * replay reaches the offsets the previous generation had reached. Finally another "instance" with another view
 * set takes the prefix over, and the running one stops instead of adopting its generation.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { encodeManifest, RedisLayout } from '@oxbow/contracts';
import {
  generateHttpLogs,
  generateSensorReadings,
  WEB_ANALYTICS_PROJECT,
} from '@oxbow/example-web-analytics';
import { loadProject } from '@oxbow/views';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { bucketStartSql, isoToEpochMsSql } from '../../../libs/views/test/support/oracle.ts';
import { type SpeedHandle, startSpeed, viewFingerprintsOf } from '../src/index.ts';
import { CHANGED_VIEW, REMOVED_VIEWS, UNCHANGED_VIEWS } from './support/evolved.project.ts';
import { expectViewMatchesOracle, oracleOf } from './support/oracle-comparison.ts';
import {
  committedOffsets,
  createTestNames,
  FAST_CONSUMER,
  produce,
  type SpeedTestNames,
  scanKeys,
  TEST_REDIS_URL,
  testConfig,
  waitFor,
} from './support/speed-test-env.ts';

const EVOLVED_PROJECT = fileURLToPath(new URL('./support/evolved.project.ts', import.meta.url));
const EPOCH_MS = 2000;
const START = Date.now() - 2 * 3_600_000;
const http = [...generateHttpLogs({ count: 1800, seed: 41, startMs: START, ratePerSec: 4 })];
const sensors = [...generateSensorReadings({ count: 600, seed: 42, startMs: START, ratePerSec: 2 })];
/** The input in three parts: A1 (covered by the manifest), A2 (before the restart), B (after it). */
const part = <T>(records: readonly T[], index: number) =>
  records.slice((index * records.length) / 3, ((index + 1) * records.length) / 3);

const ts = isoToEpochMsSql('ts');
/** The oracle of the views the evolved project defines anew. */
const EVOLVED_SQL = {
  status_minutely_errors: `
    SELECT CAST(status // 100 AS VARCHAR) || 'xx' AS key, ${bucketStartSql(ts, 60_000)} AS bucketStartMs,
      count(*) AS hits
    FROM http_logs WHERE status >= 400 GROUP BY ALL ORDER BY key, bucketStartMs`,
  method_hourly: `
    SELECT method AS key, ${bucketStartSql(ts, 3_600_000)} AS bucketStartMs, count(*) AS hits, sum(bytes) AS bytes
    FROM http_logs GROUP BY ALL ORDER BY key, bucketStartMs`,
};

const redis = new Redis(TEST_REDIS_URL);
let names: SpeedTestNames | undefined;
let speed: SpeedHandle | undefined;

afterAll(async () => {
  await speed?.stop();
  if (names) {
    for (const key of await scanKeys(redis, `${names.prefix}*`)) await redis.unlink(key);
    rmSync(names.lakeDir, { recursive: true, force: true });
  }
  redis.disconnect();
});

describe('a project whose views changed', () => {
  it('rebuilds every increment from the manifest end offsets: the changed view exact for its new definition, the added one complete, the removed one gone', async () => {
    const test = await createTestNames('evolve');
    names = test;
    const layout = new RedisLayout(test.prefix);
    const logs: string[] = [];
    const options = {
      consumer: FAST_CONSUMER,
      healthPort: 0,
      liveViews: { sessionIdleMs: 600_000 },
      log: (line: string) => logs.push(line),
    };
    const example = await loadProject(WEB_ANALYTICS_PROJECT);
    const evolved = await loadProject(EVOLVED_PROJECT);
    const produceParts = async (index: number) => {
      await produce(
        test.http,
        part(http, index).map((r) => JSON.stringify(r)),
        `k${index}-`,
      );
      await produce(
        test.sensors,
        part(sensors, index).map((r) => JSON.stringify(r)),
        `k${index}-`,
      );
    };
    const committedThrough = (index: number, what: string) =>
      waitFor(
        async () =>
          (await committedOffsets(redis, layout, test.http)) === ((index + 1) * http.length) / 3 &&
          (await committedOffsets(redis, layout, test.sensors)) === ((index + 1) * sensors.length) / 3
            ? true
            : undefined,
        30_000,
        what,
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n${logs.join('\n')}`);
      });

    // 1. The example project consumes A1; a batch run then covers it (the manifest's epoch E and end offsets).
    speed = await startSpeed(await testConfig(test), options);
    await produceParts(0);
    await committedThrough(0, 'A1');
    const watermarkEpoch = Math.floor(
      Number(await redis.hget(layout.status(), 'realtimeThrough')) / EPOCH_MS,
    );
    const endOffsets = {
      [test.http]: await redis.hgetall(layout.offsets(test.http)),
      [test.sensors]: await redis.hgetall(layout.offsets(test.sensors)),
    };
    await sleep(Math.max(0, (watermarkEpoch + 1) * EPOCH_MS - Date.now()) + 200);
    mkdirSync(join(test.lakeDir, 'views'), { recursive: true });
    writeFileSync(
      join(test.lakeDir, 'views', '_manifest.json'),
      encodeManifest({
        format: 'oxbow-batch-manifest',
        version: 1,
        runId: 'evolve',
        epochMs: EPOCH_MS,
        watermarkEpoch,
        endOffsets,
        views: [],
        duckdb: 'views/v=evolve/views.duckdb',
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
        durationsMs: { read: 0, compute: 0, write: 0 },
      }),
    );
    await waitFor(
      async () => ((await scanKeys(redis, `${test.prefix}rt:*`)).length === 0 ? true : undefined),
      10_000,
      'the expiry of A1',
    );

    // 2. A2 arrives; the example's view set is the generation's.
    await produceParts(1);
    await committedThrough(1, 'A2');
    const first = speed.status();
    expect(first.viewFingerprints).toEqual(viewFingerprintsOf(example.views));
    const reached = {
      [test.http]: await redis.hgetall(layout.offsets(test.http)),
      [test.sensors]: await redis.hgetall(layout.offsets(test.sensors)),
    };
    await speed.stop();
    expect(await redis.exists(layout.live('sensor_anomalies'))).toBe(1);

    // 3. Restart on the evolved project: a new generation, rebuilding up to what the previous one had reached.
    speed = await startSpeed(await testConfig(test, { OXBOW_PROJECT: EVOLVED_PROJECT }), options);
    const restarted = speed.status();
    expect(restarted.generation).not.toBe(first.generation);
    expect(restarted).toMatchObject({ rebuilds: 1, rebuilding: true });
    expect(restarted.viewFingerprints).toEqual(viewFingerprintsOf(evolved.views));
    expect(restarted.viewFingerprints[CHANGED_VIEW]).not.toBe(first.viewFingerprints[CHANGED_VIEW]);
    const generation = await redis.hgetall(layout.generationViews());
    expect(generation.generation).toBe(restarted.generation);
    const targets = JSON.parse(generation.rebuildTargets ?? '{}') as Record<string, Record<string, string>>;
    for (const topic of [test.http, test.sensors]) {
      const expected = Object.fromEntries(
        Object.entries(reached[topic] ?? {}).filter(
          ([partition, offset]) => BigInt(offset) > BigInt(endOffsets[topic]?.[partition] ?? '0'),
        ),
      );
      expect(targets[topic], topic).toEqual(expected);
    }
    expect(logs.some((line) => line.includes('the view set changed'))).toBe(true);
    // The live view sensor_anomalies was removed: its value is deleted and the checkpoint no longer fits.
    expect(await redis.exists(layout.live('sensor_anomalies'))).toBe(0);
    expect(logs.some((line) => line.includes('the checkpoint does not fit'))).toBe(true);

    await produceParts(2);
    await committedThrough(2, 'B');
    await waitFor(() => (speed?.status().rebuilding === false ? true : undefined), 10_000, 'the rebuild');
    await speed.nextBatch();
    expect(await redis.hget(layout.status(), 'rebuilding')).toBe('false');
    expect(JSON.parse((await redis.hget(layout.status(), 'viewFingerprints')) ?? '{}')).toEqual(
      viewFingerprintsOf(evolved.views),
    );

    // 4. Every increment is of the new generation, over the records after the manifest's end offsets (A2 + B).
    const oracle = await oracleOf(
      [...part(http, 1), ...part(http, 2)],
      [...part(sensors, 1), ...part(sensors, 2)],
      EVOLVED_SQL,
    );
    try {
      expect(
        await expectViewMatchesOracle(
          redis,
          layout,
          oracle,
          evolved.view(CHANGED_VIEW),
          'status_minutely_errors',
        ),
      ).toBeGreaterThan(5);
      expect(
        await expectViewMatchesOracle(redis, layout, oracle, evolved.view('method_hourly')),
      ).toBeGreaterThan(3);
      for (const name of UNCHANGED_VIEWS) {
        expect(evolved.view(name).fingerprint).toBe(example.view(name).fingerprint);
        expect(
          await expectViewMatchesOracle(redis, layout, oracle, evolved.view(name)),
          name,
        ).toBeGreaterThan(10);
      }
    } finally {
      oracle.close();
    }
    for (const name of REMOVED_VIEWS) {
      expect(await scanKeys(redis, `${test.prefix}rt:${name}:*`)).toEqual([]);
      expect(await redis.exists(layout.epochs(name))).toBe(0);
    }
    const epochs = (await scanKeys(redis, `${test.prefix}rt:*`)).map(
      (key) => layout.parseIncrements(key)?.epoch,
    );
    expect(epochs.every((epoch) => epoch !== undefined && epoch > watermarkEpoch)).toBe(true);
    expect(await redis.exists(layout.live('active_sessions'))).toBe(1);

    // 5. Another instance, running another project, takes the prefix over: this one stops rather than adopt it.
    const running = speed;
    await redis.set(layout.generation(), 'other-instance');
    await redis.hset(layout.generationViews(), { generation: 'other-instance', viewsFingerprint: 'other' });
    await Promise.race([
      running.stopped,
      sleep(10_000).then(() => {
        throw new Error(`the speed layer did not stop\n${logs.join('\n')}`);
      }),
    ]);
    expect(running.status().state).toBe('stopped');
    expect(running.status().lastError).toMatch(/another view set/);
    expect(await redis.get(layout.generation())).toBe('other-instance');
    expect(await redis.hget(layout.status(), 'state')).not.toBe('stopped'); // the other instance's hash now
    speed = undefined;
  }, 60_000);
});
