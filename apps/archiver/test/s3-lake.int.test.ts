/**
 * The exactly-once crash round trip on the stack's S3 (S3Proxy, bucket `lake`, a unique prefix per run), smaller
 * than the file:// one: S3 publishes whole objects, so a killed upload leaves nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { type FileSystem, openFileSystem, type S3Options } from '@oxbow/connectors';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashRoundTrip } from './support/crash-round-trip.ts';
import { testKafka } from './support/kafka.ts';

const S3: S3Options = {
  endpoint: process.env.OXBOW_S3_ENDPOINT ?? 'http://127.0.0.1:29000',
  region: process.env.OXBOW_S3_REGION ?? 'us-east-1',
  accessKeyId: process.env.OXBOW_S3_ACCESS_KEY ?? 'oxbow',
  secretAccessKey: process.env.OXBOW_S3_SECRET_KEY ?? 'oxbow-secret',
  forcePathStyle: true,
};
const BUCKET = process.env.OXBOW_S3_BUCKET ?? 'lake';
const lakeUrl = `s3://${BUCKET}/oxbow-test-archiver-${randomUUID().slice(0, 8)}`;
let admin: Admin;
let lake: FileSystem;

beforeAll(async () => {
  admin = testKafka.admin();
  await admin.connect();
  // The bucket is created by `oxbow stack up`.
  lake = openFileSystem(lakeUrl, { s3: S3 });
});

afterAll(async () => {
  await lake?.deletePrefix('').catch(() => {});
  await lake?.close();
  await admin?.disconnect();
});

describe('archiver on s3://', () => {
  it('archives events exactly once while being SIGKILLed and restarted', async () => {
    const report = await crashRoundTrip({
      label: 's3',
      admin,
      lakeUrl,
      lake,
      count: 20_000,
      kills: 2,
      epochMs: 2000,
      rollRows: 2000,
      rollMs: 1000,
      env: {
        OXBOW_S3_ENDPOINT: S3.endpoint ?? '',
        OXBOW_S3_ACCESS_KEY: S3.accessKeyId ?? '',
        OXBOW_S3_SECRET_KEY: S3.secretAccessKey ?? '',
        OXBOW_S3_REGION: S3.region ?? '',
        // The file:// round trip validates where the machine's default says (the main thread on two cores); this
        // one in the encoder threads, so both ways are killed and restarted.
        OXBOW_ARCHIVER_VALIDATION: 'encoder',
      },
    });
    console.log(`archiver crash test (s3://): ${JSON.stringify(report)}`);
    expect(report.events).toBe(20_000);
  }, 120_000);
});
