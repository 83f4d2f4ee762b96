/**
 * The speed app in-process against the local stack: produced events become increments per (view, epoch,
 * partition, key, bucket) whose merge equals the DuckDB oracle on every key and bucket; bad records are
 * dead-lettered with their reasons and counted while the stream goes on; the live views hold sensible values;
 * a published manifest expires the epochs ≤ its watermark; status, health and the Prometheus metrics are exposed.
 */

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeManifest, MANIFEST_PATH, RedisLayout } from '@oxbow/contracts';
import {
  generateHttpLogs,
  generateSensorReadings,
  WEB_ANALYTICS_PROJECT,
} from '@oxbow/example-web-analytics';
import { freePort } from '@oxbow/testing-tools';
import { loadProject, type Project } from '@oxbow/views';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViewOracle } from '../../../libs/views/test/support/oracle.ts';
import { type SpeedHandle, startSpeed, viewFingerprintsOf } from '../src/index.ts';
import { expectAllViewsMatchOracle, oracleOf } from './support/oracle-comparison.ts';
import {
  consumeAll,
  createTestNames,
  FAST_CONSUMER,
  produce,
  type SpeedTestNames,
  scanKeys,
  TEST_REDIS_URL,
  testConfig,
  waitFor,
} from './support/speed-test-env.ts';

const START = Date.now() - 3 * 3_600_000;
const httpRecords = [...generateHttpLogs({ count: 2400, seed: 11, startMs: START, ratePerSec: 4 })];
const sensorRecords = [...generateSensorReadings({ count: 800, seed: 12, startMs: START, ratePerSec: 2 })];
const BAD_HTTP = [
  '{not json',
  JSON.stringify({ ...httpRecords[0], status: 'abc' }),
  JSON.stringify({ ...httpRecords[1], ts: '1990-01-01T00:00:00Z' }),
  JSON.stringify({ ...httpRecords[2], ts: new Date(Date.now() + 7 * 86_400_000).toISOString() }),
];
const BAD_SENSORS = [JSON.stringify({ ...sensorRecords[0], temperature: 900 }), ''];

let names: SpeedTestNames;
let speed: SpeedHandle | undefined;
let redis: Redis;
let oracle: ViewOracle;
let layout: RedisLayout;
let project: Project;

function running(): SpeedHandle {
  if (!speed) throw new Error('the speed app is not running');
  return speed;
}

/** The value of one sample line `name{labels} value` of a Prometheus text exposition (NaN when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

async function processed(topic: string): Promise<number> {
  return Number((await redis.hget(`${names.prefix}speed:status`, `records:${topic}`)) ?? 0);
}

beforeAll(async () => {
  names = await createTestNames('inproc');
  redis = new Redis(TEST_REDIS_URL);
  layout = new RedisLayout(names.prefix);
  oracle = await oracleOf(httpRecords, sensorRecords);
  project = await loadProject(WEB_ANALYTICS_PROJECT);
  speed = await startSpeed(await testConfig(names), {
    consumer: FAST_CONSUMER,
    healthPort: await freePort(),
    liveViews: { sessionIdleMs: 600_000 },
    log: () => {},
  });
  // Input flows in chunks while the app runs, bad records among them, so batches span several epochs.
  const httpValues = httpRecords.map((r) => JSON.stringify(r));
  const sensorValues = sensorRecords.map((r) => JSON.stringify(r));
  for (let chunk = 0; chunk < 4; chunk++) {
    await produce(names.http, [
      ...httpValues.slice(chunk * 600, (chunk + 1) * 600),
      ...(chunk === 1 ? BAD_HTTP : []),
    ]);
    await produce(names.sensors, [
      ...sensorValues.slice(chunk * 200, (chunk + 1) * 200),
      ...(chunk === 2 ? BAD_SENSORS : []),
    ]);
    await sleep(1200);
  }
  await waitFor(
    async () =>
      (await processed(names.http)) === httpRecords.length &&
      (await processed(names.sensors)) === sensorRecords.length
        ? true
        : undefined,
    40_000,
    'every valid record to be committed',
  );
}, 90_000);

afterAll(async () => {
  await speed?.stop();
  oracle?.close();
  if (names) {
    for (const key of await scanKeys(redis, `${names.prefix}*`)) await redis.unlink(key);
    rmSync(names.lakeDir, { recursive: true, force: true });
  }
  redis?.disconnect();
});

describe('startSpeed', () => {
  it('keeps increments whose merge over epochs and partitions equals the DuckDB oracle', async () => {
    const cells = await expectAllViewsMatchOracle(redis, layout, oracle, project);
    expect(cells).toBeGreaterThan(200);
    // Increments are per epoch and partition: several of each, and each epoch is indexed.
    const epochs = await redis.zrange(`${names.prefix}rtepochs:status_minutely`, '0', '-1');
    expect(epochs.length).toBeGreaterThan(1);
    const partitions = new Set(
      (await scanKeys(redis, `${names.prefix}rt:status_minutely:*`)).map(
        (k) => layout.parseIncrements(k)?.partition,
      ),
    );
    expect([...partitions].sort()).toEqual([0, 1, 2]);
    const indexed = await redis.smembers(`${names.prefix}rtkeys:status_minutely:${epochs[0]}`);
    expect(indexed.length).toBeGreaterThan(0);
    const offsets = await redis.hgetall(`${names.prefix}offsets:${names.http}`);
    expect(Object.values(offsets).reduce((n, o) => n + Number(o), 0)).toBe(
      httpRecords.length + BAD_HTTP.length,
    );
  });

  it('dead-letters invalid JSON, schema violations and absurd timestamps with their reasons, and counts them', async () => {
    const status = await redis.hgetall(`${names.prefix}speed:status`);
    expect(Number(status[`deadLettered:${names.http}`])).toBe(BAD_HTTP.length);
    expect(Number(status[`deadLettered:${names.sensors}`])).toBe(BAD_SENSORS.length);
    expect(Number(status.deadLettered)).toBe(BAD_HTTP.length + BAD_SENSORS.length);
    const letters = await consumeAll(names.deadLetters, BAD_HTTP.length + BAD_SENSORS.length);
    const reasons = letters.map((l) => l.headers['oxbow-error'] ?? '').sort();
    expect(letters).toHaveLength(BAD_HTTP.length + BAD_SENSORS.length);
    expect(reasons.filter((r) => r.startsWith('SpeedError: '))).toHaveLength(letters.length);
    expect(reasons.some((r) => /status/.test(r))).toBe(true);
    expect(reasons.filter((r) => /\bts\b/.test(r))).toHaveLength(2);
    expect(reasons.some((r) => /temperature/.test(r))).toBe(true);
    expect(reasons.some((r) => /JSON/i.test(r))).toBe(true);

    // The status shows the latest of them with the same reasons, newest first, for the dashboard.
    const recent = JSON.parse(status.recentDeadLetters ?? 'null') as Array<{
      topic: string;
      partition: number;
      offset: string;
      reason: string;
      at: number;
    }>;
    const positionOf = (topic: string, partition: string | number, offset: string) =>
      `${topic}/${partition}@${offset}`;
    expect(recent.map((note) => positionOf(note.topic, note.partition, note.offset)).sort()).toEqual(
      letters
        .map((l) =>
          positionOf(
            l.headers['oxbow-source-topic'] ?? '',
            l.headers['oxbow-source-partition'] ?? '',
            l.headers['oxbow-source-offset'] ?? '',
          ),
        )
        .sort(),
    );
    expect(recent.map((note) => note.reason).sort()).toEqual(reasons);
    expect([...recent].sort((a, b) => b.at - a.at)).toEqual(recent);
    expect(running().status().recentDeadLetters).toEqual(recent);
  });

  it('keeps the live views in Redis', async () => {
    const sessions = JSON.parse((await redis.get(`${names.prefix}live:active_sessions`)) ?? '{}');
    const users = new Set(httpRecords.map((r) => r.userId));
    expect(sessions.value.active).toBe(users.size);
    expect(sessions.value.requests).toBe(httpRecords.length);
    const anomalies = JSON.parse((await redis.get(`${names.prefix}live:sensor_anomalies`)) ?? '{}');
    expect(anomalies.value.sensors).toBe(new Set(sensorRecords.map((r) => r.sensorId)).size);
    expect(anomalies.value.bySensor.reduce((n: number, s: { readings: number }) => n + s.readings, 0)).toBe(
      sensorRecords.length,
    );
    const live = JSON.parse((await redis.get(`${names.prefix}live:live_requests_5m`)) ?? '{}');
    expect(live.value.total).toBeGreaterThanOrEqual(0);
    expect(live.value.total).toBeLessThanOrEqual(httpRecords.length);
  });

  it('serves its Prometheus metrics at /metrics of the health endpoint', async () => {
    const url = running().healthUrl?.replace(/\/health$/, '/metrics');
    expect(url).toBeDefined();
    const response = await fetch(url as string);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(sample(text, `oxbow_speed_records_total{topic="${names.http}"}`)).toBe(httpRecords.length);
    expect(sample(text, `oxbow_speed_records_total{topic="${names.sensors}"}`)).toBe(sensorRecords.length);
    expect(sample(text, `oxbow_speed_dead_letters_total{topic="${names.http}"}`)).toBe(BAD_HTTP.length);
    expect(sample(text, `oxbow_speed_dead_letters_total{topic="${names.sensors}"}`)).toBe(BAD_SENSORS.length);
    expect(sample(text, 'oxbow_speed_batch_interval_seconds')).toBe(0.5); // OXBOW_SPEED_BATCH_MS=500
    expect(sample(text, 'oxbow_speed_batch_processing_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'oxbow_speed_batch_scheduling_delay_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'oxbow_speed_redis_commit_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'oxbow_speed_checkpoint_write_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'oxbow_speed_cached_cells')).toBe(running().status().cachedCells);
    for (const partition of [0, 1, 2]) {
      expect(
        sample(text, `oxbow_speed_consumer_lag_records{topic="${names.http}",partition="${partition}"}`),
      ).toBeGreaterThanOrEqual(0);
    }
    expect(text).toContain('# TYPE oxbow_speed_records_total counter');
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
  });

  it('exposes its status in Redis, with the fingerprints of the views it maintains', async () => {
    const status = await redis.hgetall(`${names.prefix}speed:status`);
    expect(status.state).toBe('running');
    expect(Number(status.realtimeThrough)).toBeGreaterThan(START);
    expect(Number(status.lagRecords)).toBe(0);
    expect(running().status().generation).toBe(await redis.get(`${names.prefix}generation`));
    const fingerprints = viewFingerprintsOf(project.views);
    expect(Object.keys(fingerprints)).toEqual([
      'country_daily',
      'page_views_hourly',
      'sensor_hourly',
      'status_minutely',
    ]);
    expect(JSON.parse(status.viewFingerprints ?? '{}')).toEqual(fingerprints);
    expect(status.rebuilding).toBe('false');
    expect(running().status()).toMatchObject({ viewFingerprints: fingerprints, rebuilding: false });
    const generation = await redis.hgetall(layout.generationViews());
    expect(generation.generation).toBe(running().status().generation);
    expect(JSON.parse(generation.viewFingerprints ?? '{}')).toEqual(fingerprints);
  });

  it('expires the epochs ≤ the watermark of a published manifest and keeps the later ones', async () => {
    const epochs = (await redis.zrange(layout.epochs('status_minutely'), '0', '-1'))
      .map(Number)
      .sort((a, b) => a - b);
    expect(epochs.length).toBeGreaterThan(1);
    const watermark = epochs[Math.floor(epochs.length / 2) - 1] as number;
    const laterBefore = (await scanKeys(redis, `${names.prefix}rt:*`)).filter(
      (k) => (layout.parseIncrements(k)?.epoch ?? 0) > watermark,
    );
    mkdirSync(join(names.lakeDir, 'views'), { recursive: true });
    writeFileSync(
      join(names.lakeDir, MANIFEST_PATH),
      encodeManifest({
        format: 'oxbow-batch-manifest',
        version: 1,
        runId: 'test',
        epochMs: 2000,
        watermarkEpoch: watermark,
        endOffsets: {},
        views: [],
        duckdb: 'views/v=test/views.duckdb',
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
        durationsMs: { read: 0, compute: 0, write: 0 },
      }),
    );
    await waitFor(
      async () =>
        (await redis.zcount(layout.epochs('status_minutely'), '-inf', String(watermark))) === 0
          ? true
          : undefined,
      10_000,
      'expiry',
    );
    await sleep(300);
    const keys = await scanKeys(redis, `${names.prefix}rt:*`);
    expect(keys.filter((k) => (layout.parseIncrements(k)?.epoch ?? 0) <= watermark)).toEqual([]);
    expect(keys.sort()).toEqual(laterBefore.sort());
    expect(await redis.exists(layout.keyIndex('status_minutely', watermark))).toBe(0);
    expect(running().status().watermarkEpoch).toBe(watermark);
  });
});
