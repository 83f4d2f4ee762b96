/**
 * The exactly-once crash round trip on a real HDFS (WebHDFS), started with `oxbow stack up --with hdfs` in a
 * private state directory and stopped afterwards. Temporary files are renamed into place by the NameNode.
 */
import { randomUUID } from 'node:crypto';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashRoundTrip } from './support/crash-round-trip.ts';
import { testKafka } from './support/kafka.ts';
import { type StackHdfs, startStackHdfs } from './support/stack-hdfs.ts';

let admin: Admin;
let hdfs: StackHdfs | undefined;
let lake: FileSystem;
let lakeUrl: string;

beforeAll(async () => {
  admin = testKafka.admin();
  await admin.connect();
  hdfs = await startStackHdfs();
  lakeUrl = `${hdfs.url}/oxbow-test-archiver-${randomUUID().slice(0, 8)}`;
  lake = openFileSystem(lakeUrl, { hdfs: { user: 'oxbow' } });
});

afterAll(async () => {
  await lake?.close();
  await hdfs?.stop();
  await admin?.disconnect();
});

describe('archiver on hdfs://', () => {
  it('archives events exactly once while being SIGKILLed and restarted', async () => {
    const report = await crashRoundTrip({
      label: 'hdfs',
      admin,
      lakeUrl,
      lake,
      count: 20_000,
      kills: 2,
      epochMs: 2000,
      rollRows: 2000,
      rollMs: 1000,
      env: { HADOOP_USER_NAME: 'oxbow' },
    });
    console.log(`archiver crash test (hdfs://): ${JSON.stringify(report)}`);
    expect(report.events).toBe(20_000);
  }, 120_000);
});
