/**
 * Whatever Kafka accepted is dead-letterable: ~20 000 valid HTTP logs on ONE partition (same key) interleaved with
 * every kind of invalid record (not JSON, wrong types, a negative `bytes`, missing fields, raw control characters,
 * event times in 1970 and 2100, a truncated object, `[1,2,3]`, `null`, a tombstone, 600 KB objects, objects just
 * under the topic's `max.message.bytes` and exactly as large as it accepts). The dead-letter topic is
 * created as the source topic is (same limit), so the archiver has to raise it or truncate. Every valid record
 * reaches the lake exactly once, every invalid one the dead-letter topic exactly once, with its reason.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deadLetterTopicMaxBytes, type FileSystem, openFileSystem } from '@oxbow/connectors';
import { generateHttpLogs } from '@oxbow/example-web-analytics';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDeadLetters,
  EVERY_KIND_COUNTS,
  largestValueBytes,
  mixInvalidRecords,
  mixSummary,
  produceMix,
  readDeadLetters,
  topicMaxMessageBytes,
} from '../../../libs/connectors/test/support/dead-letter-mix.ts';
import { waitUntil } from './support/archiver-child.ts';
import { startInProcess } from './support/in-process.ts';
import { createTestTopic, testKafka } from './support/kafka.ts';
import { readLake } from './support/lake.ts';

const VALID = Number(process.env.DEAD_LETTER_VALID_EVENTS ?? 20_000);
let admin: Admin;
let dir: string;
let lake: FileSystem;
const topics: string[] = [];

beforeAll(async () => {
  admin = testKafka.admin();
  await admin.connect();
  dir = mkdtempSync(join(tmpdir(), 'oxbow-archiver-dl-'));
  lake = openFileSystem(pathToFileURL(dir).href);
});

afterAll(async () => {
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => {});
  await lake?.close();
  await admin?.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('archiver: dead letters of every size Kafka accepts', () => {
  it('archives every valid record exactly once (ALL-RECORDS-DELIVERED) and dead-letters every invalid one exactly once', async () => {
    const topic = await createTestTopic(admin, 'dl-limits', 3);
    // Created like the source topic (the broker's default limit), as `oxbow stack up` used to create it.
    const deadLetterTopic = await createTestTopic(admin, 'dl-limits-dlq', 1);
    topics.push(topic, deadLetterTopic);
    const maxBytes = await topicMaxMessageBytes(testKafka, topic);
    const valid = [...generateHttpLogs({ count: VALID, seed: 41, startMs: Date.now() - 3_600_000 })];
    const records = mixInvalidRecords({
      valid,
      counts: EVERY_KIND_COUNTS,
      nearMaxBytes: maxBytes - 200,
      // As large as the topic accepts for a record with this test's key ('one-key-for-all').
      maxBytes: largestValueBytes(maxBytes, 'one-key-for-all'.length),
    });
    const invalid = records.length - valid.length;
    const produced = await produceMix(testKafka, topic, records, 'one-key-for-all');

    const archiver = startInProcess(lake, topic, {
      epochMs: 600_000,
      groupId: `oxbow-test-archiver-${randomUUID()}`,
      deadLetterTopic,
      rollMs: 500,
    });
    let failure: unknown;
    try {
      await waitUntil(
        () => archiver.stats.recordsArchived === valid.length || archiver.failure() !== undefined,
        45_000,
        () => `${JSON.stringify(archiver.stats)} ${JSON.stringify(archiver.events.slice(-3))}`,
      );
    } finally {
      failure = await archiver.stop().then(
        () => undefined,
        (error: unknown) => error,
      );
    }
    expect(failure, `the archiver failed (mix ${JSON.stringify(mixSummary(records))})`).toBeUndefined();

    // ALL-RECORDS-DELIVERED: each valid record once, at its offset, with its content; nothing else.
    const { rows } = await readLake(lake, topic);
    const expected = new Map<string, (typeof valid)[number]>();
    records.forEach((record, i) => {
      if (record.validIndex !== undefined)
        expected.set(
          `${produced.partition}:${produced.offsets[i]}`,
          valid[record.validIndex] as (typeof valid)[number],
        );
    });
    const seen = new Set<string>();
    const wrong: string[] = [];
    for (const row of rows) {
      const at = `${row.kafkaPartition}:${row.kafkaOffset}`;
      const event = expected.get(at);
      if (seen.has(at)) wrong.push(`${at} twice`);
      else if (!event) wrong.push(`${at} is not a valid record`);
      else if (
        row.userId !== event.userId ||
        row.path !== event.path ||
        row.bytes !== BigInt(event.bytes) ||
        row.status !== event.status
      )
        wrong.push(`${at} differs from what was produced`);
      seen.add(at);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(rows.length).toBe(valid.length);
    expect(seen.size).toBe(expected.size);

    const letters = await readDeadLetters(testKafka, deadLetterTopic, topic, invalid);
    const check = checkDeadLetters(records, produced, letters, 'InvalidEvent: ');
    expect(check.problems.slice(0, 10)).toEqual([]);
    expect(letters.length).toBe(invalid);
    // The archiver raised the dead-letter topic's limit at start, so even the near-max records fit whole.
    expect(archiver.events.filter((event) => event.event === 'archiver.dead-letter.raised')).toHaveLength(1);
    expect(await topicMaxMessageBytes(testKafka, deadLetterTopic)).toBe(deadLetterTopicMaxBytes(maxBytes));
    expect(check.truncated).toBe(0);
  }, 90_000);
});
