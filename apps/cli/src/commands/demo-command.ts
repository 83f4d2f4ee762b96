import { isDeepStrictEqual } from 'node:util';
import { createKafka, createRedis, createS3 } from '../clients.ts';
import { kafkaRoundTrip, parquetRoundTrip, redisRoundTrip, runId, s3RoundTrip } from '../demo/round-trip.ts';
import { CliError } from '../errors.ts';
import { stackUp } from '../stack/stack.ts';
import type { CommandEnvironment } from './stack-command.ts';

function check(condition: boolean, what: string): void {
  if (!condition) throw new CliError('OXBOW_DEMO_FAILED', `demo round trip failed: ${what}`);
}

/**
 * `oxbow demo` (and `oxbow start`, what `npm start` runs until the real apps exist): brings the stack up, then
 * sends data through Kafka, Redis, S3 and DuckDB/Parquet, printing each step with its counts.
 */
export async function runDemo(env: CommandEnvironment): Promise<number> {
  const { config, output, clock } = env;
  await stackUp({ config, clock, output });
  const id = runId();
  const step = (text: string) => output.out(`demo: ${text}`);

  const kafka = createKafka(config, 'oxbow-demo');
  let started = clock.now();
  const trip = await kafkaRoundTrip(kafka, {
    topic: `oxbow_demo_${id.replace('-', '_')}`,
    partitions: 3,
    count: 10_000,
  });
  const values = [...trip.consumed.values()].flat();
  check(
    values.length === trip.produced && new Set(values).size === trip.produced,
    'Kafka lost or duplicated messages',
  );
  const perPartition = [...trip.consumed]
    .map(([partition, list]) => `p${partition}=${list.length}`)
    .join(' ');
  step(
    `Kafka: produced ${trip.produced} and consumed ${values.length} messages on ${trip.topic} (${perPartition}) in ${clock.now() - started} ms`,
  );

  const redis = createRedis(config);
  started = clock.now();
  try {
    await redis.connect();
    const result = await redisRoundTrip(redis, `oxbow:demo:${id}`);
    check(isDeepStrictEqual(result.read, result.written), 'Redis returned different values');
    step(
      `Redis: wrote and read back ${Object.keys(result.read).length} keys and a counter (${result.counter}) in ${clock.now() - started} ms`,
    );
  } finally {
    redis.disconnect();
  }

  const s3 = createS3(config);
  try {
    started = clock.now();
    const objects = await s3RoundTrip(s3, `oxbow-demo-${id}`);
    check(isDeepStrictEqual(objects.got, objects.put), 'S3 returned different objects');
    step(
      `S3: put, listed and got ${objects.listed.length} objects in bucket ${objects.bucket} in ${clock.now() - started} ms`,
    );
    started = clock.now();
    const parquet = await parquetRoundTrip(s3, config.s3Bucket, `demo/${id}/readings.parquet`);
    check(isDeepStrictEqual(parquet.readRows, parquet.writtenRows), 'Parquet read back differs');
    step(
      `DuckDB: wrote ${parquet.writtenRows.length} rows to Parquet (${parquet.bytes} bytes), uploaded to s3://${config.s3Bucket}/${parquet.key}, downloaded and read back ${parquet.readRows.length} equal rows in ${clock.now() - started} ms`,
    );
  } finally {
    s3.destroy();
  }
  step('all round trips passed; the stack keeps running (oxbow stack down stops it)');
  return 0;
}
