/**
 * KafkaDirectSource and its dead-letter topic on the real broker: at start it creates a missing dead-letter topic
 * or raises a too-small `max.message.bytes` (keeping the topic's other settings), and dead letters are sized for
 * the topic's limit, whatever that limit is: batches of large records split into requests the broker accepts, and a
 * record too large for the topic truncated with its original length and SHA-256.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_SOURCE_HEADERS,
  DEAD_LETTER_TRUNCATION_HEADERS,
  deadLetterTopicMaxBytes,
  KafkaDirectSource,
  type KafkaDirectSourceOptions,
  type KafkaSourceLogEntry,
} from '../src/kafka/index.ts';
import { readDeadLetters, topicMaxMessageBytes } from './support/dead-letter-mix.ts';

const BROKERS = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',').map((b) => b.trim());
const kafka = new Kafka({ clientId: 'oxbow-dead-letter-test', brokers: BROKERS, logLevel: logLevel.NOTHING });
let admin: Admin;
const created: string[] = [];

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  if (created.length > 0) await admin.deleteTopics({ topics: created }).catch(() => {});
  await admin.disconnect();
});

async function createTopic(label: string, configs: Record<string, string> = {}): Promise<string> {
  const topic = `oxbow-test-dlt-${label}-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
      },
    ],
  });
  created.push(topic);
  return topic;
}

async function topicOverrides(topic: string): Promise<Record<string, string>> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: 2, name: topic }],
  });
  const overrides: Record<string, string> = {};
  for (const entry of described.resources[0]?.configEntries ?? []) {
    if (Number(entry.configSource) === 1) overrides[entry.configName] = entry.configValue;
  }
  return overrides;
}

function options(
  topic: string,
  deadLetterTopic: string,
  log: KafkaSourceLogEntry[],
  extra: Partial<KafkaDirectSourceOptions<unknown>> = {},
): KafkaDirectSourceOptions<unknown> {
  return {
    brokers: BROKERS,
    topics: [topic],
    groupId: `oxbow-test-${topic}`,
    startingOffsets: 'earliest',
    batchIntervalMs: 100,
    deadLetterTopic,
    deserialize: (bytes) => {
      throw new Error(`never valid (${bytes.length} bytes)`);
    },
    consumer: {
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 300,
      rebalanceTimeoutMs: 6000,
      maxWaitTimeMs: 100,
    },
    logLevel: 'nothing',
    log: (entry) => log.push(entry),
    ...extra,
  };
}

/** Starts a source, cuts batches until `records` records went through, stops it. */
async function runThrough(source: KafkaDirectSource<unknown>, records: number): Promise<number> {
  await source.start();
  let deadLettered = 0;
  try {
    const deadline = Date.now() + 20_000;
    while (source.metrics().recordsIn < records) {
      if (Date.now() > deadline) throw new Error(`only ${source.metrics().recordsIn}/${records} records cut`);
      const batch = await source.nextBatch(Date.now());
      deadLettered += batch.deadLettered;
      if (batch.offsetRanges.length === 0) await sleep(50);
    }
  } finally {
    await source.stop();
  }
  return deadLettered;
}

describe('the dead-letter topic of a KafkaDirectSource', () => {
  it('is created when missing, with max.message.bytes above the source topics', async () => {
    const topic = await createTopic('src', { 'max.message.bytes': '2000000' });
    const deadLetterTopic = `oxbow-test-dlt-missing-${randomUUID().slice(0, 8)}`;
    created.push(deadLetterTopic);
    const log: KafkaSourceLogEntry[] = [];
    const source = new KafkaDirectSource(options(topic, deadLetterTopic, log));
    await source.start();
    await source.stop();
    expect(await topicMaxMessageBytes(kafka, deadLetterTopic)).toBe(deadLetterTopicMaxBytes(2_000_000));
    expect(log.map((entry) => entry.event)).toEqual(['dead-letter.created']);
  });

  it('has a too-small max.message.bytes raised at start, keeping its other settings', async () => {
    const topic = await createTopic('src');
    const deadLetterTopic = await createTopic('small', {
      'max.message.bytes': '50000',
      'retention.ms': '3600000',
    });
    const log: KafkaSourceLogEntry[] = [];
    const source = new KafkaDirectSource(options(topic, deadLetterTopic, log));
    await source.start();
    await source.stop();
    const sourceMax = await topicMaxMessageBytes(kafka, topic);
    expect(await topicOverrides(deadLetterTopic)).toEqual({
      'max.message.bytes': String(deadLetterTopicMaxBytes(sourceMax)),
      'retention.ms': '3600000',
    });
    expect(log.filter((entry) => entry.event === 'dead-letter.raised')).toHaveLength(1);
    expect(log.find((entry) => entry.event === 'dead-letter.raised')?.message).toMatch(/from 50000 to/);
  });

  it('takes every record the source accepted at the limit it has: split sends, near-max ones truncated', async () => {
    const topic = await createTopic('src');
    const limit = await topicMaxMessageBytes(kafka, topic);
    const deadLetterTopic = await createTopic('same-limit');
    const values = [
      Buffer.alloc(600_000, 'a'),
      Buffer.alloc(600_000, 'b'),
      Buffer.from('x'),
      Buffer.alloc(limit - 200, 'c'),
      Buffer.alloc(300_000, 'd'),
    ];
    const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
    await producer.connect();
    for (const value of values) await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
    await producer.disconnect();
    const log: KafkaSourceLogEntry[] = [];
    // The limit as given (no raising): the dead-letter topic keeps the source's limit.
    const source = new KafkaDirectSource(
      options(topic, deadLetterTopic, log, { deadLetterMaxMessageBytes: limit }),
    );
    expect(await runThrough(source, values.length)).toBe(values.length);
    expect(log).toEqual([]);
    const letters = await readDeadLetters(kafka, deadLetterTopic, topic, values.length, 20_000, 300);
    const byOffset = new Map(
      letters.map((letter) => [letter.headers[DEAD_LETTER_SOURCE_HEADERS.offset], letter]),
    );
    expect(letters).toHaveLength(values.length);
    values.forEach((value, offset) => {
      const letter = byOffset.get(String(offset));
      const truncated = letter?.headers[DEAD_LETTER_TRUNCATION_HEADERS.truncated];
      if (offset !== 3) {
        expect(truncated, `offset ${offset}`).toBeUndefined();
        expect(letter?.value?.equals(value), `offset ${offset}`).toBe(true);
        return;
      }
      expect(truncated).toBe('value');
      expect(letter?.headers[DEAD_LETTER_TRUNCATION_HEADERS.valueBytes]).toBe(String(value.length));
      expect(letter?.headers[DEAD_LETTER_TRUNCATION_HEADERS.valueSha256]).toBe(
        createHash('sha256').update(value).digest('hex'),
      );
      expect(letter?.value?.length).toBeGreaterThan(limit - 3000);
      expect(letter?.value?.equals(value.subarray(0, letter.value.length))).toBe(true);
    });
  });
});
