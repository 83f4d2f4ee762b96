/**
 * Fault 5: a loopback TCP proxy of our own between an app and a service drops every connection mid-request and
 * mid-reply, several times, then delays every chunk. `oxbow speed` talks to a private redis-server through it
 * (so commits and their replies are cut), and the archiver to the stack's S3Proxy (so uploads are cut). Neither app
 * is restarted: the output must be complete and contiguous — the verifier's ALL-RECORDS-DELIVERED — the speed
 * layer's lag must come back to 0, and its RSS is sampled over the run (reported; bounded by a generous limit).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FileSystem, openFileSystem, type S3Options } from '@oxbow/connectors';
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
import { createTestTopic, highWatermarks, testKafka } from '../../../apps/archiver/test/support/kafka.ts';
import { createTestNames, testEnv, waitFor } from '../../../apps/speed/test/support/speed-test-env.ts';
import { produceMessagesInChunks } from './support/archiver-input.ts';
import { lakeReachesWatermarks } from './support/lake-complete.ts';
import { copyPartFilesOut } from './support/lake-copy.ts';
import { lakeVerdict } from './support/lake-verdict.ts';
import { startPrivateRedis } from './support/private-redis.ts';
import {
  committedRecords,
  expectSpeedDeliveredAll,
  produceInChunks,
  waitForEveryRecordCommitted,
  withRecentLogs,
} from './support/speed-fault-run.ts';
import { type SpeedProcess, startSpeedProcessKilledOnCleanup, stopProcess } from './support/speed-process.ts';
import { TcpProxy } from './support/tcp-proxy.ts';

/** A bound no healthy run comes near (the speed layer of these tests stays around 200–300 MB). */
const RSS_LIMIT_BYTES = 1.5 * 1024 ** 3;
const DROPS = 5;
const cleanups: Array<() => Promise<void> | void> = [];
let admin: Admin;

beforeAll(async () => {
  admin = testKafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await admin?.disconnect();
});

function rssOf(pid: number): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

describe('connections dropped and delayed by a TCP proxy (fault 5)', () => {
  it('the speed layer through a proxy to Redis: ALL-RECORDS-DELIVERED, lag back to 0, RSS bounded', async () => {
    const server = await startPrivateRedis('proxy-redis', cleanups);
    const proxy = await TcpProxy.start(server.port);
    cleanups.push(() => proxy.close());
    const redis = new Redis(server.url);
    cleanups.push(() => redis.disconnect());
    const names = await createTestNames('proxy');
    cleanups.push(() => rmSync(names.lakeDir, { recursive: true, force: true }));
    const layout = new RedisLayout(names.prefix);
    const logs: string[] = [];
    const speed: SpeedProcess = startSpeedProcessKilledOnCleanup(
      testEnv(names, {
        OXBOW_REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        OXBOW_SPEED_BATCH_MS: '200',
        OXBOW_SPEED_LIVE_WINDOW_MS: '4000',
        OXBOW_SPEED_LIVE_SLIDE_MS: '800',
        OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '6000',
      }),
      logs,
      'speed',
      cleanups,
    );
    const failure = withRecentLogs(logs);
    const rss: number[] = [];
    const sampling = setInterval(() => rss.push(rssOf(speed.process.pid ?? 0)), 500);
    cleanups.push(() => clearInterval(sampling));

    const start0 = Date.now() - 2 * 3_600_000;
    const http = [...generateHttpLogs({ count: 6000, seed: 131, startMs: start0, ratePerSec: 5 })];
    const sensors = [...generateSensorReadings({ count: 1800, seed: 132, startMs: start0, ratePerSec: 2 })];
    const total = http.length + sensors.length;
    const committed = () => committedRecords(redis, layout, names);
    const producing = produceInChunks(names, http, sensors, 60, 100);
    await waitFor(async () => ((await committed()) > 0 ? true : undefined), 120_000, 'a first commit').catch(
      (error: unknown) => {
        throw failure(error);
      },
    );
    // Drops while batches are being committed, then latency for the rest of the run.
    let dropped = 0;
    for (let i = 0; i < DROPS; i++) {
      await sleep(300 + Math.floor(Math.random() * 700));
      dropped += proxy.dropAll();
    }
    proxy.setLatency(30);
    await producing;
    await waitForEveryRecordCommitted(
      committed,
      total,
      'every record committed through the proxy',
      failure,
      180_000,
      speed.process,
    );
    await waitFor(
      async () => ((await redis.hget(layout.status(), 'lagRecords')) === '0' ? true : undefined),
      60_000,
      'the lag back to 0',
    ).catch((error: unknown) => {
      throw failure(error);
    });
    clearInterval(sampling);
    expect(speed.process.exitCode, logs.slice(-30).join('\n')).toBeNull();
    expect(await stopProcess(speed.process, speed.exited), logs.slice(-30).join('\n')).toBe(0);
    const peak = Math.max(...rss);
    expect(peak).toBeLessThan(RSS_LIMIT_BYTES);

    const delivered = await expectSpeedDeliveredAll(redis, layout, http, sensors);
    const mb = (bytes: number) => Math.round(bytes / 1024 ** 2);
    const quarter = Math.max(1, Math.floor(rss.length / 4));
    console.log(
      `proxy to Redis: ${dropped} connections dropped in ${DROPS} drops (${proxy.accepted} accepted), then 30 ms latency; ` +
        `failed batches logged: ${logs.filter((l) => l.includes('restarting')).length}\n` +
        `speed RSS MB by quarter of the run: ${[0, 1, 2, 3].map((q) => mb(Math.max(...rss.slice(q * quarter, (q + 1) * quarter), 0))).join(', ')} (peak ${mb(peak)})\n` +
        `${delivered.http}; ${delivered.sensors}`,
    );
  });

  it('the archiver through a proxy to S3: no torn file, ALL-RECORDS-DELIVERED', async () => {
    const s3Upstream = Number(new URL(process.env.OXBOW_S3_ENDPOINT ?? 'http://127.0.0.1:29000').port);
    const proxy = await TcpProxy.start(s3Upstream);
    cleanups.push(() => proxy.close());
    const endpoint = `http://127.0.0.1:${proxy.port}`;
    const s3: S3Options = {
      endpoint: process.env.OXBOW_S3_ENDPOINT ?? 'http://127.0.0.1:29000',
      region: process.env.OXBOW_S3_REGION ?? 'us-east-1',
      accessKeyId: process.env.OXBOW_S3_ACCESS_KEY ?? 'oxbow',
      secretAccessKey: process.env.OXBOW_S3_SECRET_KEY ?? 'oxbow-secret',
      forcePathStyle: true,
    };
    const lakeUrl = `s3://${process.env.OXBOW_S3_BUCKET ?? 'lake'}/fault-proxy-${randomUUID().slice(0, 8)}`;
    // Read back directly, not through the proxy.
    const lake: FileSystem = openFileSystem(lakeUrl, { s3 });
    cleanups.push(async () => {
      await lake.deletePrefix('').catch(() => {});
      await lake.close();
    });
    const topic = await createTestTopic(admin, 'proxy-s3', 3);
    const archiver: ArchiverChild = startArchiver({
      OXBOW_LAKE: lakeUrl,
      OXBOW_S3_ENDPOINT: endpoint,
      OXBOW_S3_ACCESS_KEY: s3.accessKeyId ?? '',
      OXBOW_S3_SECRET_KEY: s3.secretAccessKey ?? '',
      OXBOW_S3_REGION: s3.region ?? '',
      OXBOW_ARCHIVER_TOPICS: `${topic}:http_logs`,
      OXBOW_ARCHIVER_GROUP_ID: `oxbow-test-archiver-${randomUUID().slice(0, 8)}`,
      OXBOW_EPOCH_MS: '2000',
      OXBOW_ARCHIVER_ROLL_ROWS: '300',
      OXBOW_ARCHIVER_ROLL_MS: '500',
    });
    cleanups.push(() => {
      if (archiver.process.exitCode === null) archiver.process.kill('SIGKILL');
    });
    const describeState = () =>
      `archiver: ${archiver.stderr.slice(-15).join('\n')}\n${JSON.stringify(archiver.events.slice(-4))}`;
    const events = [
      ...generateHttpLogs({ count: 9000, seed: 141, startMs: Date.now() - 3_600_000, ratePerSec: 2000 }),
    ];
    const messages: Message[] = events.map((event, index) => ({
      partition: index % 3,
      value: JSON.stringify(event),
    }));
    const producing = produceMessagesInChunks(topic, messages, 30, 150);
    await waitUntil(() => archiver.published() >= 2, 120_000, describeState, 50);
    let dropped = 0;
    for (let i = 0; i < DROPS; i++) {
      await sleep(200 + Math.floor(Math.random() * 500));
      dropped += proxy.dropAll();
    }
    proxy.setLatency(30);
    await producing;
    const lakeComplete = async (): Promise<boolean> => {
      if (archiver.process.exitCode !== null)
        throw new Error(`the archiver exited (${archiver.process.exitCode})`);
      const watermarks = await highWatermarks(admin, topic);
      return lakeReachesWatermarks(lake, topic, watermarks);
    };
    await waitUntil(lakeComplete, 180_000, describeState, 300);
    archiver.process.kill('SIGTERM');
    expect(await archiver.exited, describeState()).toBe(0);

    const copied = await copyPartFilesOut(lake, topic, 'proxy-s3', cleanups);
    const report = await lakeVerdict(copied.dir, topic, events);
    expect(report.verdict, report.summary).toBe('ALL-RECORDS-DELIVERED');
    console.log(
      `proxy to S3: ${dropped} connections dropped in ${DROPS} drops (${proxy.accepted} accepted), then 30 ms latency; ` +
        `${copied.files} part files\n${report.summary.split('\n')[0]}`,
    );
  });
});
