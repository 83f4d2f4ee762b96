/**
 * The archiver on a local-directory lake (file://): the crash test at full size (200 000 events,
 * SIGKILLed at random points and restarted), malformed records, and sealing with an idle partition.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashRoundTrip } from './support/crash-round-trip.ts';
import { testKafka } from './support/kafka.ts';

let admin: Admin;
let dir: string;
let lakeUrl: string;
let lake: FileSystem;

beforeAll(async () => {
  admin = testKafka.admin();
  await admin.connect();
  dir = mkdtempSync(join(tmpdir(), 'oxbow-archiver-'));
  lakeUrl = pathToFileURL(dir).href;
  lake = openFileSystem(lakeUrl);
});

afterAll(async () => {
  await lake?.close();
  await admin?.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('archiver on file://', () => {
  it('archives 200 000 events exactly once while being SIGKILLed and restarted', async () => {
    const report = await crashRoundTrip({
      label: 'crash',
      admin,
      lakeUrl,
      lake,
      count: Number(process.env.ARCHIVER_CRASH_EVENTS ?? 200_000),
      kills: 5,
      epochMs: 2000,
      rollRows: 5000,
      rollMs: 1000,
    });
    console.log(`archiver crash test (file://): ${JSON.stringify(report)}`);
    expect(report.kills).toBe(5);
  }, 180_000);
});
