/**
 * Fault 2 (archiver): the archiver runs as a process with `OXBOW_FAILPOINT=<name>` and kills itself with SIGKILL
 * the first time it reaches that point — records of a batch in open files, none published (`mid-batch`), a file
 * published but its batch's group offsets not committed (`after-sink-before-offset`), the group offsets committed
 * (`after-offset`), a file's temporary copy synced but not renamed into place (`mid-file-publish`). It is restarted
 * with the same environment (the marker keeps the point from firing again) while the rest of the input is
 * produced, stopped with SIGTERM, and the verifier reads the lake's part files with DuckDB and compares them
 * record by record with what was produced: ALL-RECORDS-DELIVERED.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type FailpointName, type FileSystem, openFileSystem } from '@oxbow/connectors';
import { generateHttpLogs } from '@oxbow/example-web-analytics';
import type { Admin, Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArchiverChild,
  startArchiver,
  waitUntil,
} from '../../../apps/archiver/test/support/archiver-child.ts';
import {
  createTestTopic,
  highWatermarks,
  produce,
  testKafka,
} from '../../../apps/archiver/test/support/kafka.ts';
import { lakeReachesWatermarks } from './support/lake-complete.ts';
import { lakeVerdict } from './support/lake-verdict.ts';
import { within } from './support/speed-process.ts';

const PARTITIONS = 3;

let admin: Admin;
const children: ArchiverChild[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  admin = testKafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
  await admin?.disconnect();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function archiverUnderFailpoint(failpoint: FailpointName, seed: number): Promise<void> {
  const topic = await createTestTopic(admin, `fp-${failpoint}`, PARTITIONS);
  const lakeDir = mkdtempSync(join(tmpdir(), 'oxbow-archiver-fp-'));
  const markers = mkdtempSync(join(tmpdir(), 'oxbow-failpoint-'));
  dirs.push(lakeDir, markers);
  const lake: FileSystem = openFileSystem(pathToFileURL(lakeDir).href);
  const env: Record<string, string> = {
    OXBOW_LAKE: pathToFileURL(lakeDir).href,
    OXBOW_ARCHIVER_TOPICS: `${topic}:http_logs`,
    OXBOW_ARCHIVER_GROUP_ID: `oxbow-test-archiver-${randomUUID().slice(0, 8)}`,
    OXBOW_EPOCH_MS: '2000',
    OXBOW_ARCHIVER_ROLL_ROWS: '250',
    OXBOW_ARCHIVER_ROLL_MS: '1000',
    OXBOW_FAILPOINT: failpoint,
    OXBOW_FAILPOINT_DIR: markers,
  };
  const events = [
    ...generateHttpLogs({ count: 3000, seed, startMs: Date.now() - 3_600_000, ratePerSec: 2000 }),
  ];
  const messages: Message[] = events.map((event, index) => ({
    partition: index % PARTITIONS,
    value: JSON.stringify(event),
  }));
  let child = startArchiver(env);
  children.push(child);
  const describe = () =>
    `archiver output: ${child.stderr.slice(-15).join('\n')}\nlast events: ${JSON.stringify(child.events.slice(-5))}`;

  // The first half is produced while the first process runs: it reaches the failpoint.
  await produce(topic, messages.slice(0, messages.length / 2));
  const firstEnd = await within(child.exited, 120_000, `failpoint ${failpoint} to fire`).catch(
    (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${describe()}`);
    },
  );
  expect(firstEnd, describe()).toBe('SIGKILL');
  expect(child.stderr.some((line) => line.includes(`failpoint ${failpoint}: SIGKILL`))).toBe(true);
  expect(existsSync(join(markers, `${failpoint}.fired`))).toBe(true);

  // Restarted with the same environment while the second half arrives.
  child = startArchiver(env);
  children.push(child);
  await produce(topic, messages.slice(messages.length / 2));
  const lakeComplete = async (): Promise<boolean> => {
    const watermarks = await highWatermarks(admin, topic);
    return lakeReachesWatermarks(lake, topic, watermarks);
  };
  await waitUntil(lakeComplete, 120_000, describe, 200);
  const last = child;
  await waitUntil(() => last.events.some((event) => event.event === 'archiver.started'), 30_000, describe);
  child.process.kill('SIGTERM');
  expect(await child.exited, describe()).toBe(0);
  await lake.close();

  const report = await lakeVerdict(lakeDir, topic, events);
  expect(report.verdict, report.summary).toBe('ALL-RECORDS-DELIVERED');
  console.log(`archiver failpoint ${failpoint}: ${report.summary.split('\n')[0]}`);
}

describe('the archiver under failpoints (fault 2)', () => {
  it('mid-batch: killed with records in open files, none published', () =>
    archiverUnderFailpoint('mid-batch', 51));
  it('after-sink-before-offset: killed after publishing a file, before committing its offsets', () =>
    archiverUnderFailpoint('after-sink-before-offset', 53));
  it('after-offset: killed after committing the group offsets', () =>
    archiverUnderFailpoint('after-offset', 55));
  it('mid-file-publish: killed with a part file written but not renamed into place', () =>
    archiverUnderFailpoint('mid-file-publish', 57));
});
