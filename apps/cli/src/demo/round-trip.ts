import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Redis } from 'ioredis';
import { type Kafka, Partitioners } from 'kafkajs';

/** A run-unique suffix for topic, bucket and key names: `20261124t130512-1a2b3c`. */
export function runId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', 't').slice(0, 15).toLowerCase();
  return `${stamp}-${randomUUID().slice(0, 6)}`;
}

/** What the Kafka round trip produced and consumed, per partition in offset order. */
export interface KafkaRoundTrip {
  readonly topic: string;
  readonly produced: number;
  /** Message values (the sequence numbers 0…n-1) per partition, in the order consumed. */
  readonly consumed: ReadonlyMap<number, readonly number[]>;
  /** The partition each key's messages landed in, per consumed message (key → partitions seen). */
  readonly partitionsByKey: ReadonlyMap<string, ReadonlySet<number>>;
}

/**
 * Creates a fresh topic, produces `count` messages (value = sequence number, 50 keys) in batches, and
 * consumes them back in a fresh consumer group until every partition reaches its high watermark.
 */
export async function kafkaRoundTrip(
  kafka: Kafka,
  options: { topic: string; partitions: number; count: number; timeoutMs?: number },
): Promise<KafkaRoundTrip> {
  const { topic, partitions, count } = options;
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    maxInFlightRequests: 1,
  });
  const consumer = kafka.consumer({ groupId: `${topic}-group`, sessionTimeout: 10_000 });
  try {
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor: 1,
          configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
        },
      ],
      waitForLeaders: true,
    });
    await producer.connect();
    const batchSize = 1000;
    for (let start = 0; start < count; start += batchSize) {
      const messages = [];
      for (let i = start; i < Math.min(count, start + batchSize); i += 1) {
        messages.push({ key: `key-${i % 50}`, value: String(i) });
      }
      await producer.send({ topic, messages, acks: -1 });
    }
    const ends = new Map(
      (await admin.fetchTopicOffsets(topic)).map((offsets) => [offsets.partition, BigInt(offsets.high)]),
    );
    const consumed = new Map<number, number[]>();
    const partitionsByKey = new Map<string, Set<number>>();
    const done = () =>
      [...ends].every(([partition, high]) => {
        const seen = consumed.get(partition)?.length ?? 0;
        return BigInt(seen) >= high;
      });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `consumed ${[...consumed.values()].flat().length} of ${count} messages before timing out`,
            ),
          ),
        options.timeoutMs ?? 60_000,
      );
      consumer
        .run({
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            const values = consumed.get(batch.partition) ?? [];
            consumed.set(batch.partition, values);
            for (const message of batch.messages) {
              values.push(Number(message.value?.toString()));
              const key = message.key?.toString() ?? '';
              const seen = partitionsByKey.get(key) ?? new Set<number>();
              seen.add(batch.partition);
              partitionsByKey.set(key, seen);
              resolveOffset(message.offset);
            }
            await heartbeat();
            if (done()) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return { topic, produced: count, consumed, partitionsByKey };
  } finally {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

/** What the Redis round trip wrote and read back. */
export interface RedisRoundTrip {
  readonly written: Record<string, string>;
  readonly read: Record<string, string | null>;
  readonly counter: number;
}

/** Writes a few string keys and a hash counter (with a TTL), reads them back, then deletes them. */
export async function redisRoundTrip(redis: Redis, prefix: string, keys = 100): Promise<RedisRoundTrip> {
  const written: Record<string, string> = {};
  const multi = redis.multi();
  for (let i = 0; i < keys; i += 1) {
    written[`${prefix}:k${i}`] = `value-${i}`;
    multi.set(`${prefix}:k${i}`, `value-${i}`, 'EX', 3600);
    multi.hincrby(`${prefix}:counts`, 'events', i);
  }
  await multi.exec();
  const names = Object.keys(written);
  const values = await redis.mget(names);
  const read = Object.fromEntries(names.map((name, index) => [name, values[index] ?? null]));
  const counter = Number(await redis.hget(`${prefix}:counts`, 'events'));
  await redis.del(...names, `${prefix}:counts`);
  return { written, read, counter };
}

/** What the S3 round trip put, listed and got back. */
export interface S3RoundTrip {
  readonly bucket: string;
  readonly put: Record<string, string>;
  readonly listed: readonly string[];
  readonly got: Record<string, string>;
}

/** Creates a bucket, puts `objects` small objects, lists and gets them, then removes everything. */
export async function s3RoundTrip(s3: S3Client, bucket: string, objects = 5): Promise<S3RoundTrip> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const put: Record<string, string> = {};
  try {
    for (let i = 0; i < objects; i += 1) {
      const key = `events/part-${i}.txt`;
      put[key] = `object ${i} of ${bucket}\n`.repeat(i + 1);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: put[key] }));
    }
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'events/' }));
    const listed = (listing.Contents ?? []).map((object) => object.Key ?? '').sort();
    const got: Record<string, string> = {};
    for (const key of listed) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      got[key] = (await object.Body?.transformToString()) ?? '';
    }
    return { bucket, put, listed, got };
  } finally {
    for (const key of Object.keys(put)) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  }
}

/** What the Parquet round trip wrote, moved through S3 and read back. */
export interface ParquetRoundTrip {
  readonly key: string;
  readonly bytes: number;
  readonly uploaded: Buffer;
  readonly downloaded: Buffer;
  /** Rows read by DuckDB from the file it wrote, and from the file downloaded from S3, both ordered by id. */
  readonly writtenRows: readonly Record<string, unknown>[];
  readonly readRows: readonly Record<string, unknown>[];
}

/**
 * DuckDB writes `rows` rows to a Parquet file, which is uploaded to S3 under `key`, downloaded to another
 * path and read back by DuckDB.
 */
export async function parquetRoundTrip(
  s3: S3Client,
  bucket: string,
  key: string,
  rows = 1000,
): Promise<ParquetRoundTrip> {
  const dir = mkdtempSync(join(tmpdir(), 'oxbow-parquet-'));
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    const written = join(dir, 'written.parquet');
    const downloadedPath = join(dir, 'downloaded.parquet');
    await connection.run(
      `COPY (SELECT i AS id, 'sensor-' || (i % 7) AS sensor, i * 0.5 AS reading, TIMESTAMP '2026-01-01' + to_seconds(i) AS at
             FROM range(${Number(rows)}) t(i))
       TO '${written}' (FORMAT parquet)`,
    );
    const uploaded = readFileSync(written);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: uploaded }));
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const downloaded = Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array());
    writeFileSync(downloadedPath, downloaded);
    const read = async (path: string) =>
      (
        await connection.runAndReadAll(`SELECT * FROM read_parquet('${path}') ORDER BY id`)
      ).getRowObjectsJson();
    const writtenRows = await read(written);
    const readRows = await read(downloadedPath);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return { key, bytes: uploaded.length, uploaded, downloaded, writtenRows, readRows };
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}
