/**
 * Test helpers of the speed app, against the local stack: fresh LogAppendTime topics, produced events, a
 * temporary lake, a Redis key prefix per test, and the increments read back from Redis and merged per
 * (key, bucket) — the answer the serving layer gives when no manifest covers any epoch.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfig, type OxbowConfig } from '@oxbow/config';
import { type RedisClient, readTopicOffsets, scanKeys as scanEveryNode } from '@oxbow/connectors';
import type { RedisLayout } from '@oxbow/contracts';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import type { ViewRow } from '@oxbow/views';
import { Kafka, logLevel } from 'kafkajs';
import type { AnyView } from '../../src/increments.ts';

export const TEST_BROKERS = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',');
export const TEST_REDIS_URL = process.env.OXBOW_REDIS_URL ?? 'redis://127.0.0.1:26379';

/** Consumer timing for fast group joins and rebalances in tests. */
export const FAST_CONSUMER = {
  sessionTimeoutMs: 2000,
  heartbeatIntervalMs: 300,
  rebalanceTimeoutMs: 3000,
  maxWaitTimeMs: 100,
};

const kafka = new Kafka({
  clientId: 'oxbow-speed-test',
  brokers: TEST_BROKERS,
  logLevel: logLevel.NOTHING,
  retry: { retries: 8, initialRetryTime: 200 },
});

/** Unique names of one test: topics, dead-letter topic, Redis prefix, lake directory. */
export interface SpeedTestNames {
  readonly http: string;
  readonly sensors: string;
  readonly deadLetters: string;
  readonly prefix: string;
  readonly lakeDir: string;
  readonly lake: string;
}

/** Creates the test's topics (3 partitions each, LogAppendTime) and a temporary lake. */
export async function createTestNames(label: string): Promise<SpeedTestNames> {
  const id = randomUUID().slice(0, 8);
  const names = {
    http: `speed-${label}-http-${id}`,
    sensors: `speed-${label}-sensors-${id}`,
    deadLetters: `speed-${label}-dlq-${id}`,
    prefix: `oxbow-test-${label}-${id}:`,
  };
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [names.http, names.sensors, names.deadLetters].map((topic) => ({
        topic,
        numPartitions: topic === names.deadLetters ? 1 : 3,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      })),
    });
  } finally {
    await admin.disconnect();
  }
  const lakeDir = mkdtempSync(join(tmpdir(), `oxbow-speed-${label}-`));
  return { ...names, lakeDir, lake: `${pathToFileURL(lakeDir).href}/` };
}

/**
 * The environment of a speed app under test: the web-analytics example project (`OXBOW_PROJECT`) with its topics
 * read from the test's Kafka topics.
 */
export function testEnv(names: SpeedTestNames, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OXBOW_PROJECT: WEB_ANALYTICS_PROJECT,
    OXBOW_SPEED_TOPICS: `${names.http}:http_logs,${names.sensors}:sensor_readings`,
    OXBOW_SPEED_DEAD_LETTER_TOPIC: names.deadLetters,
    OXBOW_KAFKA_BROKERS: TEST_BROKERS.join(','),
    OXBOW_REDIS_URL: TEST_REDIS_URL,
    OXBOW_REDIS_PREFIX: names.prefix,
    OXBOW_LAKE: names.lake,
    OXBOW_EPOCH_MS: '2000',
    OXBOW_SPEED_BATCH_MS: '500',
    OXBOW_SPEED_HEALTH_PORT: '0',
    OXBOW_MANIFEST_POLL_MS: '200',
    OXBOW_SPEED_GROUP_ID: `${names.prefix}speed`,
    OXBOW_SPEED_LIVE_WINDOW_MS: '4000',
    OXBOW_SPEED_LIVE_SLIDE_MS: '1000',
    ...extra,
  };
}

/** The configuration a speed app under test runs with. */
export async function testConfig(
  names: SpeedTestNames,
  extra: Record<string, string> = {},
): Promise<OxbowConfig> {
  return (await loadConfig({ env: testEnv(names, extra), noFile: true, cwd: names.lakeDir })).config;
}

/** Produces JSON texts (or raw strings) to `topic`, keyed by index, in chunks. */
export async function produce(topic: string, values: readonly string[], keyPrefix = 'k'): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += 500) {
      await producer.send({
        topic,
        acks: -1,
        messages: values.slice(i, i + 500).map((value, j) => ({ key: `${keyPrefix}${i + j}`, value })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** The sum of the offsets Redis holds for a Kafka topic: how many records of it the speed layer committed. */
export async function committedOffsets(
  redis: RedisClient,
  layout: RedisLayout,
  topic: string,
): Promise<number> {
  const offsets = await readTopicOffsets(redis, layout, topic);
  return Object.values(offsets).reduce((sum, offset) => sum + Number(offset), 0);
}

/** Every message of a topic from the beginning (`expected` of them), as values with their headers. */
export async function consumeAll(
  topic: string,
  expected: number,
  timeoutMs = 15_000,
): Promise<Array<{ value: string; headers: Record<string, string> }>> {
  const consumer = kafka.consumer({ groupId: `${topic}-check-${randomUUID().slice(0, 6)}` });
  const messages: Array<{ value: string; headers: Record<string, string> }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
      messages.push({ value: message.value?.toString() ?? '', headers });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (messages.length < expected && Date.now() < deadline) await sleep(100);
  await sleep(300);
  await consumer.disconnect();
  return messages;
}

/** Polls `probe` until it returns a value other than undefined. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Waits until `committed()` (records the speed layer committed) reaches `total` exactly; fails at once if it goes
 * beyond (a record counted twice), or after `timeoutMs` with the apps' `logs` in the message.
 */
export async function waitForExactlyCommitted(
  committed: () => Promise<number>,
  total: number,
  timeoutMs: number,
  what: string,
  logs: readonly string[],
): Promise<void> {
  await waitFor(
    async () => {
      const seen = await committed();
      if (seen > total) throw new Error(`committed ${seen} records, only ${total} were produced`);
      return seen === total ? true : undefined;
    },
    timeoutMs,
    what,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${logs.join('\n')}`);
  });
}

/** Every key matching `pattern` (on every master of a cluster). */
export async function scanKeys(redis: RedisClient, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  await scanEveryNode(redis, pattern, (batch) => {
    keys.push(...batch);
  });
  return keys;
}

/** One stored increment hash field. */
export interface StoredIncrement {
  readonly epoch: number;
  readonly partition: number;
  readonly key: string;
  readonly bucketStartMs: number;
  readonly bytes: Buffer;
}

/** Every increment of a view in Redis. */
export async function readIncrements(
  redis: RedisClient,
  layout: RedisLayout,
  view: string,
): Promise<StoredIncrement[]> {
  const out: StoredIncrement[] = [];
  for (const hashKey of await scanKeys(redis, `${layout.prefix.replace(/[*?[\]\\]/g, '\\$&')}rt:${view}:*`)) {
    const parts = layout.parseIncrements(hashKey);
    if (!parts) throw new Error(`unparseable increments key ${hashKey}`);
    const fields = await redis.hgetallBuffer(hashKey);
    for (const [field, bytes] of Object.entries(fields)) {
      out.push({
        epoch: parts.epoch,
        partition: parts.partition,
        key: parts.key,
        bucketStartMs: Number(field),
        bytes,
      });
    }
  }
  return out;
}

/**
 * The realtime answer of a view: the increments of every epoch and partition merged per (key, bucket) with the
 * view's aggregator, presented, sorted by key then bucket (the oracle's order).
 */
export async function realtimeRows(
  redis: RedisClient,
  layout: RedisLayout,
  view: Pick<AnyView, 'name' | 'aggregator'>,
): Promise<Array<ViewRow<Record<string, unknown>>>> {
  const aggregator = view.aggregator as unknown as {
    zero: unknown;
    plus(a: unknown, b: unknown): unknown;
    present(s: unknown): Record<string, unknown>;
    codec: { deserialize(bytes: Uint8Array): unknown };
  };
  const merged = new Map<string, { key: string; bucketStartMs: number; state: unknown }>();
  for (const increment of await readIncrements(redis, layout, view.name)) {
    const cell = `${increment.key}\u0000${increment.bucketStartMs}`;
    const state = aggregator.codec.deserialize(increment.bytes);
    const previous = merged.get(cell);
    merged.set(cell, {
      key: increment.key,
      bucketStartMs: increment.bucketStartMs,
      state: previous ? aggregator.plus(previous.state, state) : state,
    });
  }
  return [...merged.values()]
    .map(({ key, bucketStartMs, state }) => ({ key, bucketStartMs, value: aggregator.present(state) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.bucketStartMs - b.bucketStartMs));
}

const CLI = fileURLToPath(new URL('../../../cli/src/main.ts', import.meta.url));

/**
 * Starts `oxbow speed` as a child process with `env`; each chunk of its output goes to `logs`, prefixed by
 * `label` (`<label>: …`, `<label> err: …`).
 */
export function startSpeedCli(env: NodeJS.ProcessEnv, logs: string[], label: string | number): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'speed'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => logs.push(`${label}: ${chunk.toString().trim()}`));
  child.stderr?.on('data', (chunk: Buffer) => logs.push(`${label} err: ${chunk.toString().trim()}`));
  return child;
}

/** Deletes what a test made under `names`: its Redis keys and its lake directory. */
export async function removeTestState(redis: RedisClient, names: SpeedTestNames): Promise<void> {
  for (const key of await scanKeys(redis, `${names.prefix}*`)) await redis.unlink(key);
  rmSync(names.lakeDir, { recursive: true, force: true });
}
