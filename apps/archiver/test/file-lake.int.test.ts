/**
 * The archiver on a local-directory lake (file://): the crash test at full size (200 000 events,
 * SIGKILLed at random points and restarted), malformed records, and sealing with an idle partition.
 */

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import { generateHttpLogs } from '@oxbow/example-web-analytics';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchiver, waitUntil } from './support/archiver-child.ts';
import { crashRoundTrip } from './support/crash-round-trip.ts';
import { createTestTopic, highWatermarks, produce, testKafka } from './support/kafka.ts';
import { listPartFiles } from './support/lake.ts';

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
    expect(report.kills).toBeGreaterThanOrEqual(3);
  }, 180_000);

  it('runs as `oxbow archiver`: SIGTERM flushes open files, commits the group offsets and exits 0', async () => {
    const topic = await createTestTopic(admin, 'cli', 3);
    try {
      const events = [...generateHttpLogs({ count: 3000, seed: 3, startMs: Date.now() - 600_000 })];
      await produce(
        topic,
        events.map((event) => ({ value: JSON.stringify(event) })),
      );
      const watermarks = await highWatermarks(admin, topic);
      const groupId = `oxbow-test-archiver-cli-${randomUUID().slice(0, 8)}`;
      // Files roll only at 1 000 000 rows or after an hour: everything is still open when SIGTERM arrives.
      const child = startArchiver(
        {
          OXBOW_LAKE: lakeUrl,
          OXBOW_ARCHIVER_TOPICS: `${topic}:http_logs`,
          OXBOW_ARCHIVER_GROUP_ID: groupId,
          OXBOW_ARCHIVER_ROLL_ROWS: '1000000',
          OXBOW_ARCHIVER_ROLL_MS: '3600000',
        },
        true,
      );
      await waitUntil(
        () => child.events.some((event) => event.event === 'archiver.started'),
        30_000,
        () => child.stderr.join('\n'),
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await listPartFiles(lake, topic)).toEqual([]);
      child.process.kill('SIGTERM');
      expect(await child.exited, child.stderr.join('\n')).toBe(0);
      const files = await listPartFiles(lake, topic);
      const rows = files.reduce((sum, file) => sum + Number(file.lastOffset - file.firstOffset + 1n), 0);
      expect(rows).toBe(events.length);
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      const offsets = new Map(committed[0]?.partitions.map((p) => [p.partition, BigInt(p.offset)]));
      expect(offsets).toEqual(watermarks);
      expect(child.events.at(-1)).toMatchObject({
        event: 'archiver.stopped',
        recordsArchived: events.length,
      });
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    }
  }, 60_000);
});
