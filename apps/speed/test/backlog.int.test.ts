/**
 * The speed layer started on a backlog: more than ten times its largest batch already waits in Kafka, over
 * thousands of paths and hundreds of thousands of users, so every batch touches thousands of distinct cells. It
 * must catch up through batches bounded by `maxRatePerPartition × interval`, committing every offset without a
 * single failed batch or restart, and its increments must equal the DuckDB oracle on every cell.
 */
import { rmSync } from 'node:fs';
import { RedisLayout } from '@oxbow/contracts';
import { generateHttpLogs, type HttpLog, WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { loadProject, SeededRandom } from '@oxbow/views';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViewOracle } from '../../../libs/views/test/support/oracle.ts';
import { type SpeedHandle, startSpeed } from '../src/index.ts';
import { expectViewMatchesOracle, oracleOf } from './support/oracle-comparison.ts';
import {
  createTestNames,
  FAST_CONSUMER,
  produce,
  type SpeedTestNames,
  scanKeys,
  TEST_REDIS_URL,
  testConfig,
  waitFor,
} from './support/speed-test-env.ts';

const PARTITIONS = 3;
const BATCH_MS = 1000;
/**
 * Records per second and partition (`OXBOW_SPEED_MAX_RATE_PER_PARTITION`); the batch cap and the backlog scale
 * with it. The default keeps the run near a minute on a shared 2-core machine. `OXBOW_TEST_BACKLOG_RATE=6000`
 * makes batches of 18,000 records touching ~36,000 cells, which made the single-call commit of earlier versions
 * crash-loop (`RangeError: Maximum call stack size exceeded`); catching up then takes minutes.
 */
const MAX_RATE_PER_PARTITION = Number(process.env.OXBOW_TEST_BACKLOG_RATE ?? 800);
/** The most records one batch may hold: `maxRatePerPartition × interval` on each partition. */
const BATCH_CAP = (MAX_RATE_PER_PARTITION * BATCH_MS * PARTITIONS) / 1000;
const EVENTS = 10 * BATCH_CAP + 2_345;
const PATHS = 5_000;
const USERS = 500_000;
/** Event times spread over 30 days, so paths × hours and minutes make distinct cells in every batch. */
const SPAN_MS = 30 * 86_400_000;
const VIEWS = ['page_views_hourly', 'country_daily', 'status_minutely'] as const;

/** Generated logs moved onto many paths, users and event times (same seed, same records). */
function backlogRecords(): HttpLog[] {
  const random = new SeededRandom(31);
  const start = Date.now() - SPAN_MS - 3_600_000;
  const records: HttpLog[] = [];
  for (const log of generateHttpLogs({ count: EVENTS, seed: 30, startMs: start, users: 1000 })) {
    records.push({
      ...log,
      ts: new Date(start + random.int(SPAN_MS)).toISOString(),
      path: `/item/${random.int(PATHS)}`,
      userId: `u${random.int(USERS)}`,
    });
  }
  return records;
}

let names: SpeedTestNames;
let speed: SpeedHandle | undefined;
let redis: Redis;
let oracle: ViewOracle;
let layout: RedisLayout;
const batchRecords: number[] = [];
const logs: string[] = [];
let caughtUpMs = 0;

beforeAll(async () => {
  names = await createTestNames('backlog');
  redis = new Redis(TEST_REDIS_URL);
  layout = new RedisLayout(names.prefix);
  const records = backlogRecords();
  oracle = await oracleOf(records, []);
  await produce(
    names.http,
    records.map((r) => JSON.stringify(r)),
  );
  const started = Date.now();
  speed = await startSpeed(
    await testConfig(names, {
      OXBOW_EPOCH_MS: '3600000',
      OXBOW_SPEED_BATCH_MS: String(BATCH_MS),
      OXBOW_SPEED_MAX_RATE_PER_PARTITION: String(MAX_RATE_PER_PARTITION),
    }),
    {
      views: [...VIEWS],
      deadLetterTopic: names.deadLetters,
      consumer: FAST_CONSUMER,
      healthPort: 0,
      liveViews: false,
      log: (line) => logs.push(line),
    },
  );
  const handle = speed;
  // Records committed by each batch (the status is updated before nextBatch() resolves).
  let seen = 0;
  let watching = true;
  void (async () => {
    while (watching) {
      await handle.nextBatch();
      const records = handle.status().records;
      if (records > seen) batchRecords.push(records - seen);
      seen = records;
    }
  })();
  await waitFor(
    () => {
      const status = handle.status();
      if (status.lastError !== '') throw new Error(`the speed layer failed a batch: ${status.lastError}`);
      return status.records === EVENTS ? true : undefined;
    },
    Math.max(240_000, EVENTS * 3),
    'the backlog to be committed',
  );
  caughtUpMs = Date.now() - started;
  watching = false;
}, 600_000);

afterAll(async () => {
  await speed?.stop();
  oracle?.close();
  if (names) {
    const keys = await scanKeys(redis, `${names.prefix}*`);
    for (let i = 0; i < keys.length; i += 1000) await redis.call('unlink', keys.slice(i, i + 1000));
    rmSync(names.lakeDir, { recursive: true, force: true });
  }
  redis?.disconnect();
});

describe('the speed layer started on a backlog of many distinct cells', () => {
  it('catches up through bounded batches without a failed batch, a refusal or a restart', async () => {
    const status = speed?.status();
    expect(status?.lastError).toBe('');
    expect(status?.refusedBatches).toBe(0);
    expect(status?.rebuilds).toBe(0);
    expect(status?.state).toBe('running');
    expect(logs.filter((line) => / started /.test(line))).toHaveLength(1);
    expect(batchRecords.reduce((n, r) => n + r, 0)).toBe(EVENTS);
    expect(batchRecords.length).toBeGreaterThanOrEqual(11);
    const largest = batchRecords.reduce((m, r) => Math.max(m, r), 0);
    expect(largest).toBeLessThanOrEqual(BATCH_CAP);
    const offsets = await redis.hgetall(layout.offsets(names.http));
    expect(Object.keys(offsets)).toHaveLength(PARTITIONS);
    expect(Object.values(offsets).reduce((n, o) => n + Number(o), 0)).toBe(EVENTS);
    expect(Number(await redis.hget(layout.status(), `records:${names.http}`))).toBe(EVENTS);
    expect(await scanKeys(redis, layout.stagingPattern())).toEqual([]);
    console.log(
      `backlog of ${EVENTS} events caught up in ${caughtUpMs} ms, ${batchRecords.length} batches, largest ${largest}`,
    );
  });

  it('holds increments equal to the DuckDB oracle on every cell', async () => {
    let cells = 0;
    const project = await loadProject(WEB_ANALYTICS_PROJECT);
    for (const view of VIEWS)
      cells += await expectViewMatchesOracle(redis, layout, oracle, project.view(view));
    expect(cells).toBeGreaterThan(EVENTS);
  });
});
