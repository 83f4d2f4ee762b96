/**
 * Golden compatibility fixtures (fault 11): what one version of Oxbow wrote — the speed layer's streaming
 * checkpoint, the batch manifest with its view files, and the speed layer's Redis keys (increments, key indexes,
 * epochs, offsets, generation, status) — kept under `tools/regression/fixtures/<version>/`, written by
 * `fixtures/write-golden.ts` and read back by `golden-compat.fault.test.ts` with the current code.
 *
 * A fixture set holds `meta.json` ({@link GoldenMeta}), `http_logs.ndjson` (the records produced, in order, with
 * their keys: produced again in the same order they land on the same partitions and offsets), `redis.json`
 * ({@link RedisEntry} list, keys without their prefix, values base64) and `lake/` (`views/` and
 * `checkpoints/speed/`).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { type Admin, Kafka, logLevel } from 'kafkajs';

/** The frozen project every fixture set was written with. */
export const GOLDEN_PROJECT = fileURLToPath(new URL('../../fixtures/golden.project.ts', import.meta.url));

const BROKERS = process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092';
const REDIS_URL = process.env.OXBOW_REDIS_URL ?? 'redis://127.0.0.1:26379';

/** The directory of one fixture set. */
export function goldenDir(version: string): string {
  return fileURLToPath(new URL(`../../fixtures/${version}/`, import.meta.url));
}

/** `meta.json` of a fixture set. */
export interface GoldenMeta {
  readonly format: 'oxbow-golden-fixtures';
  readonly version: string;
  /** The Kafka topic (bound to the project's `http_logs`) and dead-letter topic the fixtures name. */
  readonly topic: string;
  readonly deadLetters: string;
  readonly partitions: number;
  readonly epochMs: number;
  /** The records of `http_logs.ndjson`. */
  readonly records: number;
  /** The batch run the manifest names, and its watermark epoch. */
  readonly runId: string;
  readonly watermarkEpoch: number;
  /** `git describe` of the tree that wrote it, and when. */
  readonly writtenBy: string;
  readonly writtenAt: string;
}

/** One produced record. */
export interface GoldenRecord {
  readonly key: string;
  readonly value: string;
}

/** One Redis key of a fixture set (values base64, the key without its prefix). */
export type RedisEntry =
  | { readonly key: string; readonly type: 'string'; readonly value: string }
  | { readonly key: string; readonly type: 'hash'; readonly fields: Readonly<Record<string, string>> }
  | { readonly key: string; readonly type: 'set'; readonly members: readonly string[] }
  | { readonly key: string; readonly type: 'zset'; readonly members: ReadonlyArray<[string, number]> };

/** Reads a fixture set's metadata and records. */
export function readGolden(version: string): { meta: GoldenMeta; records: GoldenRecord[] } {
  const dir = goldenDir(version);
  const meta = JSON.parse(readFileSync(`${dir}meta.json`, 'utf8')) as GoldenMeta;
  if (meta.format !== 'oxbow-golden-fixtures') throw new Error(`${dir}meta.json is not a golden fixture set`);
  const records = readFileSync(`${dir}http_logs.ndjson`, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as GoldenRecord);
  return { meta, records };
}

/** The `OXBOW_*` environment of the apps over a fixture set's topic, a lake and a Redis prefix. */
export function goldenEnv(
  meta: Pick<GoldenMeta, 'topic' | 'deadLetters' | 'epochMs'>,
  where: { lake: string; prefix: string; stateDir: string },
): Record<string, string> {
  return {
    OXBOW_PROJECT: GOLDEN_PROJECT,
    OXBOW_KAFKA_BROKERS: BROKERS,
    OXBOW_REDIS_URL: REDIS_URL,
    OXBOW_REDIS_PREFIX: where.prefix,
    OXBOW_LAKE: where.lake,
    OXBOW_STATE_DIR: where.stateDir,
    OXBOW_SERVING_CACHE_DIR: `${where.stateDir}/serving-cache`,
    OXBOW_EPOCH_MS: String(meta.epochMs),
    OXBOW_MANIFEST_POLL_MS: '200',
    OXBOW_API_RATE_LIMIT: '100000000',
    OXBOW_ARCHIVER_TOPICS: `${meta.topic}:http_logs`,
    OXBOW_ARCHIVER_GROUP_ID: `${where.prefix}archiver`,
    OXBOW_ARCHIVER_ROLL_MS: '1000',
    OXBOW_SPEED_TOPICS: `${meta.topic}:http_logs`,
    OXBOW_SPEED_DEAD_LETTER_TOPIC: meta.deadLetters,
    OXBOW_SPEED_GROUP_ID: `${where.prefix}speed`,
    OXBOW_SPEED_BATCH_MS: '500',
    OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '2000',
    OXBOW_SPEED_HEALTH_PORT: '0',
    OXBOW_BATCH_PARALLELISM: '1',
  };
}

/** A client of the stack's broker. */
export const goldenKafka = new Kafka({
  clientId: 'oxbow-golden',
  brokers: BROKERS.split(','),
  logLevel: logLevel.NOTHING,
  retry: { retries: 8, initialRetryTime: 200 },
});

/** An admin client of the stack's broker (connected). */
export async function goldenAdmin(): Promise<Admin> {
  const admin = goldenKafka.admin();
  await admin.connect();
  return admin;
}

/**
 * Creates `topics` (LogAppendTime, `partitions` each; 1 for `single`), empty: an existing one of these names (a
 * fixture topic, never another's) is deleted first and created again once the broker let it go.
 */
export async function createEmptyTopics(
  admin: Admin,
  topics: readonly string[],
  partitions: number,
  single: readonly string[] = [],
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const stale = topics.filter((topic) => existing.has(topic));
  if (stale.length > 0) await admin.deleteTopics({ topics: stale });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((topic) => ({
          topic,
          numPartitions: single.includes(topic) ? 1 : partitions,
          replicationFactor: 1,
          configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
        })),
      });
      return;
    } catch (error) {
      // A deleted topic of the same name may still be on its way out.
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** Every key under `prefix` as {@link RedisEntry} values (staging lists and locks left out), sorted by key. */
export async function dumpRedis(redis: Redis, prefix: string): Promise<RedisEntry[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    keys.push(...found);
    cursor = next;
  } while (cursor !== '0');
  const entries: RedisEntry[] = [];
  for (const full of keys.sort()) {
    const key = full.slice(prefix.length);
    if (key.startsWith('staging:') || key.endsWith(':lock')) continue;
    const type = await redis.type(full);
    if (type === 'string') {
      entries.push({
        key,
        type,
        value: ((await redis.getBuffer(full)) ?? Buffer.alloc(0)).toString('base64'),
      });
    } else if (type === 'hash') {
      const hash = await redis.hgetallBuffer(full);
      const fields = Object.fromEntries(
        Object.entries(hash)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([field, value]) => [field, value.toString('base64')]),
      );
      entries.push({ key, type, fields });
    } else if (type === 'set') {
      entries.push({ key, type, members: (await redis.smembers(full)).sort() });
    } else if (type === 'zset') {
      const flat = await redis.zrange(full, '0', '-1', 'WITHSCORES');
      const members: Array<[string, number]> = [];
      for (let i = 0; i < flat.length; i += 2) members.push([flat[i] ?? '', Number(flat[i + 1])]);
      entries.push({ key, type, members });
    } else {
      throw new Error(`golden fixtures: ${full} is a ${type}, not a string, hash, set or sorted set`);
    }
  }
  return entries;
}

/** Writes `entries` under `prefix` (one MULTI). */
export async function restoreRedis(
  redis: Redis,
  prefix: string,
  entries: readonly RedisEntry[],
): Promise<void> {
  const multi = redis.multi();
  for (const entry of entries) {
    const key = prefix + entry.key;
    if (entry.type === 'string') multi.set(key, Buffer.from(entry.value, 'base64'));
    else if (entry.type === 'hash') {
      for (const [field, value] of Object.entries(entry.fields))
        multi.hset(key, field, Buffer.from(value, 'base64'));
    } else if (entry.type === 'set') multi.sadd(key, ...entry.members);
    else for (const [member, score] of entry.members) multi.zadd(key, String(score), member);
  }
  await multi.exec();
}
