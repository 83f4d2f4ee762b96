/**
 * The Kinesis source (AWS SDK client) against kinesalite run as a child process on loopback: every record of
 * every shard once; clear errors for a missing stream, refused credentials, a bad host and a closed port; no
 * record lost across an outage between the client and Kinesis nor across a restart from the checkpoint; and a
 * split shard read to its end before its children.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { DataflowContext, StreamingContext } from '@oxbow/dataflow';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type KinesisRecord, type KinesisStreamOptions, kinesisStream, SourceError } from '../src/index.ts';
import {
  type Kinesalite,
  type KinesisProxy,
  startKinesalite,
  startKinesisProxy,
} from './support/kinesalite.ts';
import { waitFor, waitUntil } from './support/wait-for.ts';

const credentials = { accessKeyId: 'oxbow-test', secretAccessKey: 'oxbow-test-secret' };
const runId = randomBytes(3).toString('hex');
let kinesalite: Kinesalite;
let admin: KinesisClient;
const contexts: StreamingContext[] = [];

beforeAll(async () => {
  kinesalite = await startKinesalite();
  admin = new KinesisClient({
    endpoint: kinesalite.endpoint,
    region: 'us-east-1',
    credentials,
    requestHandler: new NodeHttpHandler(),
  });
});
afterAll(async () => {
  admin?.destroy();
  await kinesalite?.stop();
});
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
});

/** Creates a stream and waits until it is ACTIVE (kinesalite, like Kinesis, refuses records while CREATING). */
async function createStream(name: string, shards: number): Promise<void> {
  await admin.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitFor(
    async () => {
      const summary = await admin.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      return summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? true : undefined;
    },
    20_000,
    `stream ${name} to be ACTIVE`,
  );
}

async function put(name: string, values: readonly string[]): Promise<void> {
  for (let i = 0; i < values.length; i += 500) {
    const answer = await admin.send(
      new PutRecordsCommand({
        StreamName: name,
        Records: values.slice(i, i + 500).map((value) => ({ Data: Buffer.from(value), PartitionKey: value })),
      }),
    );
    expect(answer.FailedRecordCount ?? 0).toBe(0);
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => String(from + k));
const numeric = (values: readonly string[]) => [...values].sort((a, b) => Number(a) - Number(b));

/** A context reading `name` into `seen`; checkpointed in `checkpointDir` when given (resuming from it). */
async function startReading(
  name: string,
  seen: Array<KinesisRecord<string>>,
  overrides: Partial<KinesisStreamOptions<string>> = {},
  checkpointDir?: string,
) {
  let stream: ReturnType<typeof kinesisStream<string>> | undefined;
  const create = () => {
    const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 200);
    stream = kinesisStream<string>(ssc, {
      streamName: name,
      region: 'us-east-1',
      endpoint: kinesalite.endpoint,
      credentials,
      initialPosition: 'TRIM_HORIZON',
      pollIntervalMs: 200,
      backoff: { initialMs: 100, maxMs: 1000 },
      decode: (bytes) => Buffer.from(bytes).toString('utf8'),
      ...overrides,
    });
    stream.foreachRDD(async (rdd) => {
      seen.push(...(await rdd.collect()));
    });
    return ssc;
  };
  const ssc = checkpointDir ? await StreamingContext.getOrCreate(checkpointDir, create) : create();
  contexts.push(ssc);
  await ssc.start();
  if (!stream) throw new Error('no stream');
  return { ssc, stream };
}

describe('kinesisStream', () => {
  it('delivers every record of every shard once, one partition per shard', async () => {
    const name = `oxbow-${runId}-basic`;
    await createStream(name, 3);
    await put(name, range(0, 600));
    const seen: Array<KinesisRecord<string>> = [];
    const { stream } = await startReading(name, seen);
    await waitUntil(() => seen.length >= 600, 20_000, '600 records');
    expect(numeric(seen.map((r) => r.data))).toEqual(range(0, 600));
    expect(new Set(seen.map((r) => r.sequenceNumber)).size).toBe(600);
    expect(new Set(seen.map((r) => r.shardId)).size).toBe(3);
    expect(seen.every((r) => r.partitionKey === r.data && r.arrivalTime > 0)).toBe(true);
    expect(stream.metrics()).toMatchObject({ records: 600, errors: 0, activeShards: 3, connected: true });
  });

  it('fails start() clearly: no such stream, refused credentials, a host that does not resolve, a closed port', async () => {
    const attempt = async (options: Partial<KinesisStreamOptions<string>>) => {
      const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 200);
      contexts.push(ssc);
      kinesisStream(ssc, {
        streamName: `oxbow-${runId}-missing`,
        region: 'us-east-1',
        endpoint: kinesalite.endpoint,
        credentials,
        startTimeoutMs: 1000,
        backoff: { initialMs: 100 },
        ...options,
      }).print();
      return ssc.start().catch((error: unknown) => error);
    };
    const missing = await attempt({});
    expect(SourceError.is(missing, 'OXBOW_SOURCE_NOT_FOUND')).toBe(true);
    expect((missing as Error).message).toMatch(/no such stream/);

    const proxy = await startKinesisProxy(kinesalite.endpoint, credentials.accessKeyId);
    try {
      const refused = await attempt({
        endpoint: proxy.endpoint,
        credentials: { accessKeyId: 'intruder', secretAccessKey: 'x' },
      });
      expect(SourceError.is(refused, 'OXBOW_SOURCE_AUTH')).toBe(true);
      expect((refused as Error).message).toMatch(/credentials refused \(UnrecognizedClientException/);
    } finally {
      await proxy.close();
    }

    const badHost = await attempt({ endpoint: 'http://no-such-host.invalid:4567' });
    expect(SourceError.is(badHost, 'OXBOW_SOURCE_BAD_ADDRESS')).toBe(true);
    const closed = await attempt({ endpoint: 'http://127.0.0.1:1' });
    expect(SourceError.is(closed, 'OXBOW_SOURCE_UNAVAILABLE')).toBe(true);
    expect((closed as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('loses nothing across an outage, and resumes after the last delivered record on restart', async () => {
    const name = `oxbow-${runId}-outage`;
    await createStream(name, 2);
    const proxy: KinesisProxy = await startKinesisProxy(kinesalite.endpoint, credentials.accessKeyId);
    const checkpointDir = mkdtempSync(join(tmpdir(), 'oxbow-kinesis-checkpoint-'));
    try {
      await put(name, range(0, 300));
      const seen: Array<KinesisRecord<string>> = [];
      const first = await startReading(name, seen, { endpoint: proxy.endpoint }, checkpointDir);
      await waitUntil(() => seen.length >= 300, 20_000, 'the first 300 records');

      await proxy.down();
      await put(name, range(300, 600)); // straight to Kinesis while the reader cannot reach it
      await waitUntil(() => first.stream.metrics().errors > 0, 10_000, 'the reader to notice the outage');
      expect(first.stream.metrics().connected).toBe(false);
      await proxy.up();
      await waitUntil(() => seen.length >= 600, 20_000, 'the records put during the outage');
      expect(first.stream.metrics()).toMatchObject({ connected: true });
      expect(first.stream.metrics().reconnects).toBeGreaterThanOrEqual(1);
      await first.ssc.stop();

      await put(name, range(600, 800)); // while the job is down
      const second = await startReading(name, seen, { endpoint: proxy.endpoint }, checkpointDir);
      await waitUntil(() => seen.length >= 800, 20_000, 'the records put while the job was down');
      await new Promise((resolve) => setTimeout(resolve, 600)); // a few more batches: nothing comes twice
      await second.ssc.stop();

      expect(numeric(seen.map((r) => r.data))).toEqual(range(0, 800));
    } finally {
      await proxy.close();
      rmSync(checkpointDir, { recursive: true, force: true });
    }
  });

  it('reads a shard that is split to its end, then its children from their start', async () => {
    const name = `oxbow-${runId}-split`;
    await createStream(name, 1);
    await put(name, range(0, 200));
    const seen: Array<KinesisRecord<string>> = [];
    const { stream } = await startReading(name, seen, { shardSyncIntervalMs: 60_000 });
    await waitUntil(() => seen.length >= 200, 20_000, 'the records of the parent');
    const [parent] = (await admin.send(new ListShardsCommand({ StreamName: name }))).Shards ?? [];
    await admin.send(
      new SplitShardCommand({
        StreamName: name,
        ShardToSplit: parent?.ShardId,
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    // The split completes asynchronously: records go to the children once the parent is closed.
    await waitFor(
      async () => {
        const shards = (await admin.send(new ListShardsCommand({ StreamName: name }))).Shards ?? [];
        const closed = shards.find((shard) => shard.ShardId === parent?.ShardId)?.SequenceNumberRange
          ?.EndingSequenceNumber;
        return shards.length === 3 && closed !== undefined ? true : undefined;
      },
      20_000,
      'the split to complete',
    );
    await put(name, range(200, 500));
    await waitUntil(() => seen.length >= 500, 30_000, 'the records of the children');
    expect(numeric(seen.map((r) => r.data))).toEqual(range(0, 500));
    const shards = new Set(seen.map((r) => r.shardId));
    expect(shards.size).toBe(3);
    expect(stream.metrics().activeShards).toBe(2);
  });
});
