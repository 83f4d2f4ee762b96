import type { S3Client } from '@aws-sdk/client-s3';
import { loadConfig, type OxbowConfig } from '@oxbow/config';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, createRedis, createS3 } from '../src/clients.ts';
import {
  kafkaRoundTrip,
  parquetRoundTrip,
  redisRoundTrip,
  runId,
  s3RoundTrip,
} from '../src/demo/round-trip.ts';

const id = runId();
let config: OxbowConfig;
let redis: Redis;
let s3: S3Client;

beforeAll(async () => {
  config = (await loadConfig({ cwd: new URL('../../../', import.meta.url).pathname })).config;
  redis = createRedis(config);
  await redis.connect();
  s3 = createS3(config);
});

afterAll(() => {
  redis?.disconnect();
  s3?.destroy();
});

describe('local stack smoke test', { timeout: 120_000 }, () => {
  it('Kafka: 10,000 messages over 4 partitions arrive once each, in order per partition', async () => {
    const count = 10_000;
    const trip = await kafkaRoundTrip(createKafka(config, 'oxbow-smoke'), {
      topic: `oxbow_smoke_${id.replace('-', '_')}`,
      partitions: 4,
      count,
    });
    const all = [...trip.consumed.values()].flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(trip.consumed.size).toBe(4);
    for (const values of trip.consumed.values()) {
      expect(values.every((value, index) => index === 0 || (values[index - 1] ?? -1) < value)).toBe(true);
    }
    for (const [key, partitions] of trip.partitionsByKey) expect([key, partitions.size]).toEqual([key, 1]);
  });

  it('Redis: values written with ioredis read back equal', async () => {
    const trip = await redisRoundTrip(redis, `oxbow:smoke:${id}`, 50);
    expect(Object.keys(trip.read)).toHaveLength(50);
    expect(trip.read).toEqual(trip.written);
    expect(trip.counter).toBe((49 * 50) / 2);
  });

  it('S3: objects put with the AWS SDK (path-style, custom endpoint) are listed and read back', async () => {
    const trip = await s3RoundTrip(s3, `oxbow-smoke-${id}`, 4);
    expect(trip.listed).toEqual(Object.keys(trip.put).sort());
    expect(trip.got).toEqual(trip.put);
  });

  it('DuckDB: a Parquet file survives a trip through S3 byte for byte and reads back equal', async () => {
    const trip = await parquetRoundTrip(s3, config.s3Bucket, `smoke/${id}/readings.parquet`, 500);
    expect(trip.downloaded.equals(trip.uploaded)).toBe(true);
    expect(trip.writtenRows).toHaveLength(500);
    expect(trip.readRows).toEqual(trip.writtenRows);
    expect(trip.readRows[499]).toMatchObject({ id: '499', sensor: 'sensor-2', reading: '249.5' });
  });
});
