/**
 * Whatever Kafka accepted is dead-letterable by the speed layer: ~20 000 valid HTTP logs on ONE partition (same
 * key) interleaved with every kind of invalid record (not JSON, wrong types, a negative `bytes`, missing fields,
 * raw control characters, event times in 1970 and 2100, a truncated object, `[1,2,3]`, `null`, a tombstone, 600 KB
 * objects, objects just under the topic's `max.message.bytes` and exactly as large as it accepts),
 * with a dead-letter topic created like the source (same limit). Every valid record is counted exactly once (the
 * increments equal the oracle), every invalid one is in the dead-letter topic exactly once with its reason. And a
 * dead-letter topic that cannot be written stalls the partition, with a log line saying so, and drops nothing.
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisLayout } from '@oxbow/contracts';
import { generateHttpLogs, WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { loadProject } from '@oxbow/views';
import { Redis } from 'ioredis';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDeadLetters,
  EVERY_KIND_COUNTS,
  type InvalidKind,
  largestValueBytes,
  type MixedRecord,
  mixInvalidRecords,
  mixSummary,
  produceMix,
  readDeadLetters,
  topicMaxMessageBytes,
} from '../../../libs/connectors/test/support/dead-letter-mix.ts';
import { type SpeedHandle, startSpeed } from '../src/index.ts';
import { expectAllViewsMatchOracle, oracleOf } from './support/oracle-comparison.ts';
import {
  createTestNames,
  FAST_CONSUMER,
  type SpeedTestNames,
  scanKeys,
  TEST_BROKERS,
  TEST_REDIS_URL,
  testConfig,
  waitFor,
} from './support/speed-test-env.ts';

const VALID = Number(process.env.DEAD_LETTER_VALID_EVENTS ?? 20_000);
const kafka = new Kafka({
  clientId: 'oxbow-speed-dl-test',
  brokers: TEST_BROKERS,
  logLevel: logLevel.NOTHING,
});
let admin: Admin;
let redis: Redis;
const created: SpeedTestNames[] = [];
const running: SpeedHandle[] = [];

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  redis = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  for (const speed of running) await speed.stop().catch(() => undefined);
  for (const names of created) {
    for (const key of await scanKeys(redis, `${names.prefix}*`)) await redis.unlink(key);
    rmSync(names.lakeDir, { recursive: true, force: true });
    await admin
      .deleteTopics({ topics: [names.http, names.sensors, names.deadLetters] })
      .catch(() => undefined);
  }
  await admin?.disconnect();
  redis?.disconnect();
});

async function status(names: SpeedTestNames): Promise<Record<string, string>> {
  return redis.hgetall(`${names.prefix}speed:status`);
}

async function start(names: SpeedTestNames, logs: string[]): Promise<SpeedHandle> {
  const speed = await startSpeed(await testConfig(names), {
    deadLetterTopic: names.deadLetters,
    consumer: FAST_CONSUMER,
    healthPort: 0,
    liveViews: false,
    restartDelayMs: 500,
    log: (line) => logs.push(line),
  });
  running.push(speed);
  return speed;
}

/** The valid events of a mix in produce order. */
function validOf<T>(records: readonly MixedRecord[], valid: readonly T[]): T[] {
  return records.flatMap((record) =>
    record.validIndex === undefined ? [] : [valid[record.validIndex] as T],
  );
}

/** Replaces the topic-level overrides of `topic` (AlterConfigs replaces them all): keeps the others. */
async function setTopicConfig(topic: string, name: string, value: string): Promise<void> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: 2, name: topic }],
  });
  const entries = (described.resources[0]?.configEntries ?? [])
    .filter((entry) => entry.configSource === 1 && entry.configName !== name)
    .map((entry) => ({ name: entry.configName, value: entry.configValue }));
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: 2, name: topic, configEntries: [...entries, { name, value }] }],
  });
}

describe('speed layer: dead letters of every size Kafka accepts', () => {
  it('counts every valid record exactly once (ALL-RECORDS-DELIVERED) and dead-letters every invalid one exactly once', async () => {
    const names = await createTestNames('dl-limits');
    created.push(names);
    const maxBytes = await topicMaxMessageBytes(kafka, names.http);
    const valid = [...generateHttpLogs({ count: VALID, seed: 43, startMs: Date.now() - 3_600_000 })];
    const records = mixInvalidRecords({
      valid,
      counts: EVERY_KIND_COUNTS,
      nearMaxBytes: maxBytes - 200,
      // As large as the topic accepts for a record with this test's key ('one-key-for-all').
      maxBytes: largestValueBytes(maxBytes, 'one-key-for-all'.length),
    });
    const invalid = records.length - valid.length;
    // A byte more than the 'max-object' records, and a 10 MB value, are refused by the broker itself: the largest
    // record of the mix is as large as the topic accepts, and nothing larger can reach the pipeline.
    const largest = largestValueBytes(maxBytes, 'one-key-for-all'.length);
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      for (const size of [largest + 1, 10 * 1024 * 1024]) {
        const message = { key: 'one-key-for-all', value: Buffer.alloc(size, 97) };
        await expect(
          producer.send({ topic: names.http, acks: -1, messages: [message] }),
          `${size} bytes`,
        ).rejects.toThrow(/larger than the max message size/);
      }
    } finally {
      await producer.disconnect();
    }
    const produced = await produceMix(kafka, names.http, records, 'one-key-for-all');
    const oracle = await oracleOf(valid, []);
    const logs: string[] = [];
    try {
      await start(names, logs);
      await waitFor(
        async () => {
          const now = await status(names);
          return Number(now[`records:${names.http}`] ?? 0) === valid.length &&
            Number(now[`deadLettered:${names.http}`] ?? 0) === invalid
            ? true
            : undefined;
        },
        45_000,
        `every record of ${JSON.stringify(mixSummary(records))} to be committed`,
      ).catch(async (error: unknown) => {
        const now = JSON.stringify(await status(names));
        throw new Error(`${String(error)}; status ${now}; log: ${logs.slice(-3).join(' | ')}`);
      });
      const offsets = await redis.hgetall(`${names.prefix}offsets:${names.http}`);
      expect(offsets[String(produced.partition)]).toBe(String(records.length));
      // ALL-RECORDS-DELIVERED: every view's increments equal the oracle of the valid records.
      await expectAllViewsMatchOracle(
        redis,
        new RedisLayout(names.prefix),
        oracle,
        await loadProject(WEB_ANALYTICS_PROJECT),
      );
    } finally {
      oracle.close();
    }
    expect(logs.filter((line) => /dead-letter/.test(line) && /could not/.test(line))).toEqual([]);
    // The speed layer raised the dead-letter topic's limit at start and said so; near-max records fit whole.
    expect(logs.filter((line) => line.includes('raised max.message.bytes')).length).toBeGreaterThanOrEqual(1);
    const letters = await readDeadLetters(kafka, names.deadLetters, names.http, invalid);
    const check = checkDeadLetters(records, produced, letters, 'SpeedError: ');
    expect(check.problems.slice(0, 10)).toEqual([]);
    expect(letters.length).toBe(invalid);
    expect(check.truncated).toBe(0);
  }, 90_000);

  it('stalls with a log line while the dead-letter topic cannot be written, then delivers everything once it can', async () => {
    const names = await createTestNames('dl-stall');
    created.push(names);
    // A compacted topic refuses records without a key: every dead letter of the keyless records below is refused.
    await setTopicConfig(names.deadLetters, 'cleanup.policy', 'compact');
    const valid = [...generateHttpLogs({ count: 3000, seed: 44, startMs: Date.now() - 3_600_000 })];
    const counts = Object.fromEntries(
      Object.entries(EVERY_KIND_COUNTS).map(([kind]) => [
        kind,
        kind === 'near-max-object' || kind === 'max-object' ? 0 : 2,
      ]),
    ) as Record<InvalidKind, number>;
    const records = mixInvalidRecords({ valid, counts, nearMaxBytes: 0, seed: 5 });
    const invalid = records.length - valid.length;
    const produced = await produceMix(kafka, names.http, records, { partition: 1 });
    const firstInvalid = records.findIndex((record) => record.kind !== 'valid');
    const oracle = await oracleOf(validOf(records, valid), []);
    const logs: string[] = [];
    try {
      await start(names, logs);
      const stallLine = await waitFor(
        () =>
          logs.find((line) => line.includes(`could not write to dead-letter topic '${names.deadLetters}'`)),
        40_000,
        `a log line about the dead-letter topic (log: ${logs.slice(-3).join(' | ')})`,
      );
      expect(stallLine).toMatch(/failed the validation on broker/);
      expect(stallLine).toMatch(/partitions held at /);
      await sleep(1500);
      // Stalled: nothing at or after the first invalid record is committed.
      const stored = await redis.hget(`${names.prefix}offsets:${names.http}`, String(produced.partition));
      expect(BigInt(stored ?? '0')).toBeLessThanOrEqual(produced.offsets[firstInvalid] as bigint);
      expect(Number((await status(names))[`records:${names.http}`] ?? 0)).toBeLessThanOrEqual(firstInvalid);

      await setTopicConfig(names.deadLetters, 'cleanup.policy', 'delete');
      await waitFor(
        async () => {
          const now = await status(names);
          return Number(now[`records:${names.http}`] ?? 0) === valid.length ? true : undefined;
        },
        40_000,
        'every valid record after the dead-letter topic became writable',
      );
      await expectAllViewsMatchOracle(
        redis,
        new RedisLayout(names.prefix),
        oracle,
        await loadProject(WEB_ANALYTICS_PROJECT),
      );
    } finally {
      oracle.close();
    }
    const letters = await readDeadLetters(kafka, names.deadLetters, names.http, invalid);
    expect(checkDeadLetters(records, produced, letters, 'SpeedError: ').problems).toEqual([]);
  }, 90_000);
});
