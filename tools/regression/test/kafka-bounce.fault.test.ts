/**
 * Fault 4: a Kafka broker hard bounce mid-stream. `oxbow speed` and the archiver consume from a private broker
 * (never the shared stack's), which is killed with SIGKILL while they are working through a backlog and restarted
 * on its data directory a few seconds later; the rest of the input is produced after it is back. Neither app is
 * restarted: both must ride out the outage and the verifier ends with ALL-RECORDS-DELIVERED on the increments in
 * Redis and on the lake.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { openFileSystem } from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import { generateHttpLogs, generateSensorReadings } from '@oxbow/example-web-analytics';
import { Redis } from 'ioredis';
import type { Message } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ArchiverChild,
  startArchiver,
  waitUntil,
} from '../../../apps/archiver/test/support/archiver-child.ts';
import { TEST_REDIS_URL, testEnv, waitFor } from '../../../apps/speed/test/support/speed-test-env.ts';
import { lakeReachesWatermarks } from './support/lake-complete.ts';
import { lakeVerdict } from './support/lake-verdict.ts';
import { connectToPrivateKafka, privateBrokerTestNames } from './support/private-broker-names.ts';
import { PrivateKafka } from './support/private-stack.ts';
import {
  committedRecords,
  expectSpeedDeliveredAll,
  waitForEveryRecordCommitted,
} from './support/speed-fault-run.ts';
import { type SpeedProcess, startSpeedProcessKilledOnCleanup, stopProcess } from './support/speed-process.ts';

const PARTITIONS = 3;
const redis = new Redis(TEST_REDIS_URL);
const cleanups: Array<() => Promise<void> | void> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  redis.disconnect();
});

describe('a Kafka broker killed with SIGKILL mid-stream and restarted (fault 4)', () => {
  it('is ridden out by the speed layer and the archiver without a restart: ALL-RECORDS-DELIVERED', async () => {
    const broker = await PrivateKafka.start();
    cleanups.push(() => broker.stop());
    const { kafka, admin } = await connectToPrivateKafka(
      broker.brokers,
      'oxbow-fault-kafka-bounce',
      cleanups,
    );
    const { id, names } = privateBrokerTestNames(redis, cleanups, {
      topicLabel: 'bounce',
      prefixLabel: 'bounce',
      dirLabel: 'kafka-bounce',
      speedLakeSubdir: 'speed',
    });
    await admin.createTopics({
      waitForLeaders: true,
      topics: [names.http, names.sensors, names.deadLetters].map((topic) => ({
        topic,
        numPartitions: topic === names.deadLetters ? 1 : PARTITIONS,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      })),
    });
    const produce = async (topic: string, messages: Message[]) => {
      const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        for (let i = 0; i < messages.length; i += 500) {
          await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
        }
      } finally {
        await producer.disconnect();
      }
    };

    const logs: string[] = [];
    // A capped rate, so the backlog takes the speed layer a few seconds and the broker dies in the middle of it.
    const speed: SpeedProcess = startSpeedProcessKilledOnCleanup(
      testEnv(names, {
        OXBOW_KAFKA_BROKERS: broker.brokers,
        OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '6000',
        OXBOW_SPEED_MAX_RATE_PER_PARTITION: '150',
      }),
      logs,
      'speed',
      cleanups,
    );
    const archiveLake = join(names.lakeDir, 'archive');
    const archiver: ArchiverChild = startArchiver({
      OXBOW_KAFKA_BROKERS: broker.brokers,
      OXBOW_LAKE: pathToFileURL(archiveLake).href,
      OXBOW_ARCHIVER_TOPICS: `${names.http}:http_logs`,
      OXBOW_ARCHIVER_GROUP_ID: `oxbow-test-archiver-${id}`,
      OXBOW_EPOCH_MS: '2000',
      OXBOW_ARCHIVER_ROLL_ROWS: '300',
      OXBOW_ARCHIVER_ROLL_MS: '1000',
    });
    cleanups.push(() => {
      if (archiver.process.exitCode === null) archiver.process.kill('SIGKILL');
    });
    const describeState = () =>
      `speed:\n${logs.slice(-40).join('\n')}\narchiver:\n${archiver.stderr.slice(-15).join('\n')}\n${JSON.stringify(archiver.events.slice(-4))}`;
    const lake = openFileSystem(pathToFileURL(archiveLake).href);
    cleanups.push(() => lake.close());

    const start0 = Date.now() - 2 * 3_600_000;
    const http = [...generateHttpLogs({ count: 4000, seed: 91, startMs: start0, ratePerSec: 5 })];
    const sensors = [...generateSensorReadings({ count: 1200, seed: 92, startMs: start0, ratePerSec: 2 })];
    const total = http.length + sensors.length;
    const messages = (events: readonly object[], from: number, to: number): Message[] =>
      events.slice(from, to).map((event, i) => ({ key: `k${from + i}`, value: JSON.stringify(event) }));
    const committed = () => committedRecords(redis, layout, names);
    const layout = new RedisLayout(names.prefix);

    await produce(names.http, messages(http, 0, http.length / 2));
    await produce(names.sensors, messages(sensors, 0, sensors.length / 2));
    await waitFor(
      async () => {
        if (speed.process.exitCode !== null)
          throw new Error(`oxbow speed exited (${speed.process.exitCode})`);
        return (await committed()) >= total / 6 ? true : undefined;
      },
      120_000,
      'a part of the backlog to be committed',
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${describeState()}`);
    });
    const beforeKill = await committed();
    await broker.kill();
    const killedAt = Date.now();
    await sleep(3000);
    await broker.up();
    const downMs = Date.now() - killedAt;

    await produce(names.http, messages(http, http.length / 2, http.length));
    await produce(names.sensors, messages(sensors, sensors.length / 2, sensors.length));
    await waitForEveryRecordCommitted(
      committed,
      total,
      'every record to be committed after the bounce',
      (error: unknown) => new Error(`${(error as Error).message}\n${describeState()}`),
      240_000,
      speed.process,
    );
    const lakeComplete = async (): Promise<boolean> => {
      if (archiver.process.exitCode !== null)
        throw new Error(`the archiver exited (${archiver.process.exitCode})`);
      const watermarks = new Map(
        (await admin.fetchTopicOffsets(names.http)).map((o) => [o.partition, BigInt(o.high)] as const),
      );
      return lakeReachesWatermarks(lake, names.http, watermarks);
    };
    await waitUntil(lakeComplete, 240_000, describeState, 300);

    // Both rode it out: the processes started before the bounce are the ones still running.
    expect(speed.process.exitCode, describeState()).toBeNull();
    expect(archiver.process.exitCode, describeState()).toBeNull();
    expect(await stopProcess(speed.process, speed.exited), describeState()).toBe(0);
    archiver.process.kill('SIGTERM');
    expect(await archiver.exited, describeState()).toBe(0);

    const speedReports = await expectSpeedDeliveredAll(redis, layout, http, sensors);
    const lakeReport = await lakeVerdict(archiveLake, names.http, http);
    expect(lakeReport.verdict, lakeReport.summary).toBe('ALL-RECORDS-DELIVERED');
    console.log(
      `kafka bounce: broker down ${downMs} ms after ${beforeKill} of ${total} records were committed\n` +
        `speed: ${speedReports.http}; ${speedReports.sensors}\n` +
        `lake: ${lakeReport.summary.split('\n')[0]}`,
    );
  });
});
