/**
 * Malformed records (bad JSON, schema violations) go to `oxbow_dead_letter` with their reasons and never into the
 * lake; `_sealed` markers carry the right `endOffsets`, and an idle partition (no records at all) does not hold
 * back sealing once the epoch's end has passed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DEAD_LETTER_ERROR_HEADER,
  DEAD_LETTER_SOURCE_HEADERS,
  DEFAULT_DEAD_LETTER_TOPIC,
  type FileSystem,
  openFileSystem,
} from '@oxbow/connectors';
import { sealedPath } from '@oxbow/contracts';
import { generateHttpLogs } from '@oxbow/example-web-analytics';
import type { Admin, Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from './support/archiver-child.ts';
import { startInProcess } from './support/in-process.ts';
import { createTestTopic, highWatermarks, produce, testKafka } from './support/kafka.ts';
import { readLake } from './support/lake.ts';

const EPOCH_MS = 2000;
let admin: Admin;
let dir: string;
let lake: FileSystem;
const topics: string[] = [];

beforeAll(async () => {
  admin = testKafka.admin();
  await admin.connect();
  dir = mkdtempSync(join(tmpdir(), 'oxbow-archiver-'));
  lake = openFileSystem(pathToFileURL(dir).href);
});

afterAll(async () => {
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => {});
  await lake?.close();
  await admin?.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Dead letters of `sourceTopic` written after `from` (per partition of the dead-letter topic). */
async function readDeadLetters(
  sourceTopic: string,
  from: Map<number, bigint>,
  expected: number,
): Promise<Array<{ value: string; headers: Record<string, string> }>> {
  const found: Array<{ value: string; headers: Record<string, string> }> = [];
  const consumer = testKafka.consumer({
    groupId: `oxbow-test-dl-${randomUUID().slice(0, 8)}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: DEFAULT_DEAD_LETTER_TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
        if (headers[DEAD_LETTER_SOURCE_HEADERS.topic] === sourceTopic) {
          found.push({ value: message.value?.toString('utf8') ?? '', headers });
        }
      },
    });
    for (const [partition, offset] of from) {
      consumer.seek({ topic: DEFAULT_DEAD_LETTER_TOPIC, partition, offset: offset.toString() });
    }
    await waitUntil(
      () => found.length >= expected,
      30_000,
      () => `dead letters: ${found.length}/${expected}`,
    );
  } finally {
    await consumer.disconnect();
  }
  return found;
}

describe('archiver: malformed records and sealing', () => {
  it.each([
    ['in the encoder threads', false],
    ['on the main thread', true],
  ])(
    'dead-letters bad JSON and schema violations with reasons, archives the rest, seals past an idle partition (validated %s)',
    async (_where, validateOnMainThread) => {
      const topic = await createTestTopic(admin, 'malformed', 3);
      topics.push(topic);
      const deadLetterStart = await highWatermarks(admin, DEFAULT_DEAD_LETTER_TOPIC);
      const good = [...generateHttpLogs({ count: 40, seed: 7, startMs: Date.now() - 600_000 })];
      const bad: Message[] = [
        { partition: 0, value: '{"ts": not json' },
        { partition: 1, value: JSON.stringify({ ...good[0], status: 'abc' }) },
        { partition: 0, value: JSON.stringify({ ...good[1], host: '' }) },
        { partition: 1, value: JSON.stringify({ ...good[2], country: 'Netherlands', path: 'no-slash' }) },
      ];
      // Partitions 0 and 1 only: good and bad records interleaved, bad ones last on partition 1; partition 2 idle.
      const messages: Message[] = [
        ...good.slice(0, 10).map((event, i) => ({ partition: i % 2, value: JSON.stringify(event) })),
        bad[0] as Message,
        bad[1] as Message,
        ...good.slice(10).map((event, i) => ({ partition: i % 2, value: JSON.stringify(event) })),
        bad[2] as Message,
        bad[3] as Message,
      ];
      await produce(topic, messages);
      const watermarks = await highWatermarks(admin, topic);
      const archiver = startInProcess(lake, topic, {
        epochMs: EPOCH_MS,
        groupId: `oxbow-test-archiver-${randomUUID()}`,
        validateOnMainThread,
      });
      let lastEpoch = -1;
      try {
        await waitUntil(
          () => archiver.stats.recordsArchived === good.length,
          30_000,
          () => JSON.stringify(archiver.events.slice(-5)),
        );
        const { rows } = await readLake(lake, topic);
        lastEpoch = Math.max(...rows.map((row) => Math.floor(Number(row.appendTimeMs) / EPOCH_MS)));
        // The epoch of the last records seals once its end has passed, although partition 2 never had a record.
        await waitUntil(
          () => lake.exists(sealedPath(topic, lastEpoch)),
          30_000,
          () => JSON.stringify(archiver.events.slice(-5)),
        );
      } finally {
        await archiver.stop();
      }
      expect(archiver.stats.deadLettered).toBeGreaterThanOrEqual(bad.length);

      const { rows, sealed } = await readLake(lake, topic);
      expect(rows.length).toBe(good.length);
      expect(new Set(rows.map((row) => row.userId))).toEqual(new Set(good.map((event) => event.userId)));
      expect(rows.every((row) => row.status !== 'abc' && row.host !== '' && row.kafkaPartition !== 2)).toBe(
        true,
      );
      // The dead-lettered offsets are nowhere in the lake.
      const lakeOffsets = new Set(rows.map((row) => `${row.kafkaPartition}:${row.kafkaOffset}`));
      expect(lakeOffsets.size).toBe(good.length);
      expect(lakeOffsets.has('0:5')).toBe(false); // bad[0]: the 6th record of partition 0
      expect(lakeOffsets.has('1:5')).toBe(false); // bad[1]

      const last = sealed.find((marker) => marker.epoch === lastEpoch);
      expect(last?.endOffsets).toEqual({
        '0': String(watermarks.get(0)),
        '1': String(watermarks.get(1)),
        '2': '0',
      });
      for (const marker of sealed) {
        for (const row of rows) {
          const end = BigInt(marker.endOffsets[String(row.kafkaPartition)] ?? '-1');
          expect(row.kafkaOffset < end).toBe(Math.floor(Number(row.appendTimeMs) / EPOCH_MS) <= marker.epoch);
        }
      }

      const letters = await readDeadLetters(topic, deadLetterStart, bad.length);
      const reasons = letters.map((letter) => letter.headers[DEAD_LETTER_ERROR_HEADER] ?? '');
      expect(letters.map((letter) => letter.value).sort()).toEqual(
        bad.map((message) => String(message.value)).sort(),
      );
      expect(reasons.every((reason) => reason.startsWith('InvalidEvent: '))).toBe(true);
      expect(reasons.some((reason) => /json/i.test(reason))).toBe(true);
      expect(reasons.some((reason) => reason.includes('status'))).toBe(true);
      expect(reasons.some((reason) => reason.includes('host'))).toBe(true);
      expect(reasons.some((reason) => reason.includes('country') && reason.includes('path'))).toBe(true);
      expect(letters.every((letter) => letter.headers[DEAD_LETTER_SOURCE_HEADERS.offset] !== undefined)).toBe(
        true,
      );
    },
    90_000,
  );
});
