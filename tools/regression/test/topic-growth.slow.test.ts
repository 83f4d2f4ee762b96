/**
 * Fault 10: a topic grown while running. `oxbow speed` and the archiver consume an HTTP-log topic of 3 partitions;
 * mid-stream it is grown to 6 (Kafka allows adding partitions) and the rest of the input goes to all 6. Both
 * notice the new partitions at their next metadata refresh (`OXBOW_KAFKA_METADATA_MAX_AGE_MS`, 4 s here, 30 s by
 * default), read them from offset 0, and the verifier ends with ALL-RECORDS-DELIVERED on both: the increments in
 * Redis and the lake. Neither process is restarted.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { openFileSystem } from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import { generateHttpLogs, generateSensorReadings } from '@oxbow/example-web-analytics';
import { Redis } from 'ioredis';
import type { Admin, Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArchiverChild,
  startArchiver,
  waitUntil,
} from '../../../apps/archiver/test/support/archiver-child.ts';
import {
  highWatermarks,
  produce as produceToPartitions,
  testKafka,
} from '../../../apps/archiver/test/support/kafka.ts';
import { listPartFiles } from '../../../apps/archiver/test/support/lake.ts';
import {
  createTestNames,
  produce,
  TEST_REDIS_URL,
  testEnv,
} from '../../../apps/speed/test/support/speed-test-env.ts';
import { lakeReachesWatermarks } from './support/lake-complete.ts';
import { lakeVerdict } from './support/lake-verdict.ts';
import {
  committedRecords,
  expectSpeedDeliveredAll,
  removeSpeedTestData,
  waitForEveryRecordCommitted,
} from './support/speed-fault-run.ts';
import { type SpeedProcess, startSpeedProcessKilledOnCleanup, stopProcess } from './support/speed-process.ts';

const METADATA_MAX_AGE_MS = 4000;
const redis = new Redis(TEST_REDIS_URL);
let admin: Admin;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  admin = testKafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await admin?.disconnect();
  redis.disconnect();
});

describe('a topic grown from 3 to 6 partitions while running (fault 10)', () => {
  it('is read from offset 0 of each new partition by the speed layer and the archiver: ALL-RECORDS-DELIVERED', async () => {
    const names = await createTestNames('grow');
    const layout = new RedisLayout(names.prefix);
    cleanups.push(() => removeSpeedTestData(redis, names));
    const logs: string[] = [];
    const refresh = { OXBOW_KAFKA_METADATA_MAX_AGE_MS: String(METADATA_MAX_AGE_MS) };
    const speed: SpeedProcess = startSpeedProcessKilledOnCleanup(
      testEnv(names, {
        ...refresh,
        OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '2000',
      }),
      logs,
      'speed',
      cleanups,
    );
    // The archiver writes its own lake (a directory of the speed test's temporary one).
    const lakeDir = join(names.lakeDir, 'archive');
    const archiver: ArchiverChild = startArchiver({
      ...refresh,
      OXBOW_LAKE: `file://${lakeDir}`,
      OXBOW_ARCHIVER_TOPICS: `${names.http}:http_logs`,
      OXBOW_ARCHIVER_GROUP_ID: `oxbow-test-archiver-${randomUUID().slice(0, 8)}`,
      OXBOW_EPOCH_MS: '2000',
      OXBOW_ARCHIVER_ROLL_ROWS: '500',
      OXBOW_ARCHIVER_ROLL_MS: '1000',
    });
    cleanups.push(() => {
      if (archiver.process.exitCode === null) archiver.process.kill('SIGKILL');
    });
    const describeState = () =>
      `speed:\n${logs.slice(-30).join('\n')}\narchiver:\n${archiver.stderr.slice(-10).join('\n')}\n${JSON.stringify(archiver.events.slice(-3))}`;

    const start0 = Date.now() - 2 * 3_600_000;
    const http = [...generateHttpLogs({ count: 3000, seed: 81, startMs: start0, ratePerSec: 5 })];
    const sensors = [...generateSensorReadings({ count: 300, seed: 82, startMs: start0, ratePerSec: 2 })];
    const toPartitions = (events: readonly object[], partitions: number): Message[] =>
      events.map((event, index) => ({ partition: index % partitions, value: JSON.stringify(event) }));
    const lake = openFileSystem(`file://${lakeDir}`);
    cleanups.push(() => lake.close());
    const committed = () => committedRecords(redis, layout, names);
    const lakeComplete = async (): Promise<boolean> => {
      return lakeReachesWatermarks(lake, names.http, await highWatermarks(admin, names.http));
    };
    const waitForAll = async (records: number, what: string) => {
      await waitForEveryRecordCommitted(
        committed,
        records,
        `the speed layer to commit ${what}`,
        (error: unknown) => new Error(`${(error as Error).message}\n${describeState()}`),
        180_000,
        speed.process,
      );
      await waitUntil(lakeComplete, 180_000, describeState, 200);
    };

    const firstHalf = http.slice(0, http.length / 2);
    await produceToPartitions(names.http, toPartitions(firstHalf, 3));
    await produce(
      names.sensors,
      sensors.map((r) => JSON.stringify(r)),
    );
    await waitForAll(firstHalf.length + sensors.length, 'the first half');

    await admin.createPartitions({ topicPartitions: [{ topic: names.http, count: 6 }] });
    const grownAt = Date.now();
    await produceToPartitions(names.http, toPartitions(http.slice(http.length / 2), 6));
    await waitForAll(http.length + sensors.length, 'every record, the new partitions included');
    const tookMs = Date.now() - grownAt;

    // Every new partition was read from offset 0 to its end by both.
    const watermarks = await highWatermarks(admin, names.http);
    const offsets = await redis.hgetall(layout.offsets(names.http));
    for (const partition of [3, 4, 5]) {
      expect(watermarks.get(partition)).toBeGreaterThan(0n);
      expect(offsets[String(partition)], JSON.stringify(offsets)).toBe(String(watermarks.get(partition)));
      const files = (await listPartFiles(lake, names.http)).filter((f) => f.partition === partition);
      expect(files.some((f) => f.firstOffset === 0n)).toBe(true);
    }
    expect(speed.process.exitCode).toBeNull();
    expect(archiver.process.exitCode).toBeNull();
    expect(await stopProcess(speed.process, speed.exited), describeState()).toBe(0);
    archiver.process.kill('SIGTERM');
    expect(await archiver.exited, describeState()).toBe(0);

    const speedReports = await expectSpeedDeliveredAll(redis, layout, http, sensors);
    const lakeReport = await lakeVerdict(lakeDir, names.http, http);
    expect(lakeReport.verdict, lakeReport.summary).toBe('ALL-RECORDS-DELIVERED');
    console.log(
      `topic grown 3 → 6 partitions (metadata refresh ${METADATA_MAX_AGE_MS} ms): every record in both after ${tookMs} ms\n` +
        `speed: ${speedReports.http}\nlake: ${lakeReport.summary.split('\n')[0]}`,
    );
  });
});
