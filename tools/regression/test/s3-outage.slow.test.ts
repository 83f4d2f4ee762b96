/**
 * Fault 8 (archiver part): the S3 endpoint killed mid-upload. The archiver writes its lake to a private S3Proxy
 * (never the shared stack's) while input flows; once it published files and has more in flight, the S3Proxy is
 * killed with SIGKILL and restarted on its data directory a few seconds later. The archiver must ride the outage
 * out on its S3 retries (about a minute of back-off) without a restart; should it exit anyway, the test restarts
 * it as a supervisor would — so the data is still checked — and fails, naming why it exited. No torn file may be
 * visible, and in the end the verifier reads every listed part file (copied out of S3 byte for byte) and compares
 * it with the produced records: ALL-RECORDS-DELIVERED.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FileSystem, openFileSystem, type S3Options } from '@oxbow/connectors';
import { generateHttpLogs } from '@oxbow/example-web-analytics';
import type { Admin, Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArchiverChild,
  startArchiver,
  waitUntil,
} from '../../../apps/archiver/test/support/archiver-child.ts';
import { createTestTopic, highWatermarks, testKafka } from '../../../apps/archiver/test/support/kafka.ts';
import { produceMessagesInChunks } from './support/archiver-input.ts';
import { lakeReachesWatermarks } from './support/lake-complete.ts';
import { copyPartFilesOut } from './support/lake-copy.ts';
import { lakeVerdict } from './support/lake-verdict.ts';
import { PrivateS3Proxy } from './support/private-stack.ts';

const PARTITIONS = 3;
let admin: Admin;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  admin = testKafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await admin?.disconnect();
});

describe('the S3 endpoint killed with SIGKILL mid-upload (fault 8)', () => {
  it('leaves no torn file and ends ALL-RECORDS-DELIVERED once it is back', async () => {
    const s3proxy = await PrivateS3Proxy.start();
    cleanups.push(() => s3proxy.stop());
    const s3: S3Options = {
      endpoint: s3proxy.endpoint,
      region: 'us-east-1',
      accessKeyId: 'oxbow',
      secretAccessKey: 'oxbow-secret',
      forcePathStyle: true,
    };
    const lakeUrl = `s3://lake/fault-s3-${randomUUID().slice(0, 8)}`;
    const lake: FileSystem = openFileSystem(lakeUrl, { s3 });
    cleanups.push(() => lake.close());
    const topic = await createTestTopic(admin, 's3-outage', PARTITIONS);
    const env: Record<string, string> = {
      OXBOW_LAKE: lakeUrl,
      OXBOW_S3_ENDPOINT: s3proxy.endpoint,
      OXBOW_S3_ACCESS_KEY: 'oxbow',
      OXBOW_S3_SECRET_KEY: 'oxbow-secret',
      OXBOW_S3_REGION: 'us-east-1',
      OXBOW_ARCHIVER_TOPICS: `${topic}:http_logs`,
      OXBOW_ARCHIVER_GROUP_ID: `oxbow-test-archiver-${randomUUID().slice(0, 8)}`,
      OXBOW_EPOCH_MS: '2000',
      OXBOW_ARCHIVER_ROLL_ROWS: '400',
      OXBOW_ARCHIVER_ROLL_MS: '500',
    };
    const events = [
      ...generateHttpLogs({ count: 9000, seed: 121, startMs: Date.now() - 3_600_000, ratePerSec: 2000 }),
    ];
    const messages: Message[] = events.map((event, index) => ({
      partition: index % PARTITIONS,
      value: JSON.stringify(event),
    }));
    const children: ArchiverChild[] = [];
    cleanups.push(() => {
      for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    });
    let child = startArchiver(env);
    children.push(child);
    const describeState = () =>
      `archiver ${children.length}: ${child.stderr.slice(-15).join('\n')}\n${JSON.stringify(child.events.slice(-4))}`;

    // Input flows in chunks the whole time, so uploads are in flight when S3 dies.
    const producing = produceMessagesInChunks(topic, messages, 30, 150);
    await waitUntil(() => child.published() >= 3, 120_000, describeState, 50);
    await s3proxy.kill();
    const killedAt = Date.now();
    await sleep(3000);
    await s3proxy.up();
    const downMs = Date.now() - killedAt;

    // A supervisor: an archiver that gave up during the outage is started again.
    let restarts = 0;
    const exits: string[] = [];
    const lakeComplete = async (): Promise<boolean> => {
      if (child.process.exitCode !== null || child.process.signalCode !== null) {
        const why =
          child.events.findLast((event) => event.level === 'error') ?? child.stderr.slice(-12).join(' | ');
        exits.push(`${await child.exited}: ${JSON.stringify(why).slice(0, 1500)}`);
        restarts++;
        child = startArchiver(env);
        children.push(child);
        return false;
      }
      const watermarks = await highWatermarks(admin, topic);
      return lakeReachesWatermarks(lake, topic, watermarks);
    };
    await producing;
    await waitUntil(lakeComplete, 240_000, describeState, 300);
    const last = child;
    await waitUntil(
      () => last.events.some((event) => event.event === 'archiver.started'),
      30_000,
      describeState,
    );
    child.process.kill('SIGTERM');
    expect(await child.exited, describeState()).toBe(0);

    // Every listed part file, copied out byte for byte: a torn one would not read, a missing range shows as LESS.
    const copied = await copyPartFilesOut(lake, topic, 's3-outage', cleanups);
    const report = await lakeVerdict(copied.dir, topic, events);
    expect(report.verdict, report.summary).toBe('ALL-RECORDS-DELIVERED');
    expect(exits, 'the archiver exited during the outage').toEqual([]);
    console.log(
      `s3 outage: S3Proxy down ${downMs} ms; the archiver ${restarts === 0 ? 'rode it out' : `exited ${restarts} time(s) (${exits.join(', ')}) and was restarted`}; ` +
        `${copied.files} part files\n${report.summary.split('\n')[0]}`,
    );
  });
});
