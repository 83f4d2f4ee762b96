/**
 * Directory streams against the real remote backends: the stack's S3 (S3Proxy) and a single-node HDFS started
 * here (Hadoop minicluster, decision 0004). Each backend runs a text and a Parquet stream through a restart
 * from the checkpoint: every file read exactly once. Also the clear start-up errors: refused S3 credentials, a
 * missing bucket, an endpoint whose host does not resolve, an HDFS where nothing listens.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataflowContext, ManualClock, StreamingContext } from '@oxbow/dataflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  defineParquetSchema,
  type FileSystem,
  type OpenFileSystemOptions,
  parquetFileStream,
  SourceError,
  textFileStream,
  WebHdfsFileSystem,
  writeParquet,
} from '../src/index.ts';
import { type MiniHdfs, startMiniHdfs } from './support/hdfs-server.ts';
import { openStackS3, stackS3Options, TEST_BUCKET } from './support/s3-endpoint.ts';

const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const BATCH = 1000;
const schema = defineParquetSchema([
  { name: 'id', type: 'int64' },
  { name: 'path', type: 'string' },
] as const);
const encoder = new TextEncoder();
const contexts: StreamingContext[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
});

/**
 * Runs a text stream on `<root>/text/` and a Parquet stream on `<root>/parquet/` through three phases with a
 * restart from a local checkpoint in between, writing files through `fs` (rooted at `<root>`), and returns
 * everything the two streams delivered.
 */
async function exactlyOnceAcrossRestart(root: string, fs: FileSystem, storage: OpenFileSystemOptions) {
  const checkpointDir = mkdtempSync(join(tmpdir(), 'oxbow-dirstream-checkpoint-'));
  const lines: string[] = [];
  const ids: bigint[] = [];
  let now = 0;
  const start = async () => {
    const clock = new ManualClock(now);
    const ssc = await StreamingContext.getOrCreate(checkpointDir, () => {
      const context = new StreamingContext(new DataflowContext({ parallelism: 1 }), BATCH, { clock });
      textFileStream(context, `${root}/text/`, { storage }).foreachRDD(async (rdd) => {
        lines.push(...(await rdd.collect()));
      });
      parquetFileStream(context, `${root}/parquet/`, schema, { storage }).foreachRDD(async (rdd) => {
        ids.push(...(await rdd.collect()).map((row) => row.id));
      });
      return context;
    });
    contexts.push(ssc);
    await ssc.start();
    return {
      ssc,
      async batch() {
        now = (Math.floor(clock.now() / BATCH) + 1) * BATCH;
        clock.setTime(now);
        await ssc.awaitBatchCompletion(now);
      },
    };
  };
  const text = (name: string, ...content: string[]) =>
    fs.putAtomic(`text/${name}`, encoder.encode(`${content.join('\n')}\n`));
  const parquet = (name: string, from: number, to: number) =>
    writeParquet(
      fs,
      `parquet/${name}`,
      schema,
      Array.from({ length: to - from }, (_, k) => ({ id: BigInt(from + k), path: name })),
    );

  try {
    await text('before-start.txt', 'ignored: present at the first start');
    const first = await start();
    await text('a.txt', 'a1', 'a2');
    await parquet('p1.parquet', 0, 100);
    await first.batch();
    await text('b.txt', 'b1');
    await first.batch();
    await first.ssc.stop();

    // Files written while the job is down, then a restart from the checkpoint.
    await text('c.txt', 'c1');
    await parquet('p2.parquet', 100, 250);
    const second = await start();
    await second.batch();
    await text('d.txt', 'd1');
    await second.batch();
    await second.ssc.stop();
  } finally {
    rmSync(checkpointDir, { recursive: true, force: true });
  }
  return { lines, ids };
}

function expectEachOnce({ lines, ids }: { lines: string[]; ids: bigint[] }): void {
  expect(lines.sort()).toEqual(['a1', 'a2', 'b1', 'c1', 'd1']);
  expect(ids.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 250 }, (_, i) => i));
}

describe('directory streams on s3://', () => {
  it('read every file exactly once across a restart from the checkpoint', async () => {
    const prefix = `dirstream-${runId}`;
    const fs = await openStackS3(prefix);
    try {
      expectEachOnce(
        await exactlyOnceAcrossRestart(`s3://${TEST_BUCKET}/${prefix}`, fs, { s3: stackS3Options() }),
      );
    } finally {
      await fs.deletePrefix('');
      await fs.close();
    }
  });

  it('fail start() clearly for refused credentials, a missing bucket and a host that does not resolve', async () => {
    const attempt = async (url: string, storage: OpenFileSystemOptions) => {
      const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), BATCH);
      contexts.push(ssc);
      textFileStream(ssc, url, { storage }).print();
      return ssc.start().catch((error: unknown) => error);
    };
    const denied = await attempt(`s3://${TEST_BUCKET}/x/`, {
      s3: { ...stackS3Options(), secretAccessKey: 'wrong' },
    });
    expect(SourceError.is(denied, 'OXBOW_SOURCE_AUTH')).toBe(true);
    expect((denied as Error).message).toMatch(/access denied.*check the credentials/);

    const missing = await attempt(`s3://no-such-bucket-${runId}/x/`, { s3: stackS3Options() });
    expect(SourceError.is(missing, 'OXBOW_SOURCE_NOT_FOUND')).toBe(true);

    const badHost = await attempt(`s3://${TEST_BUCKET}/x/`, {
      s3: { ...stackS3Options(), endpoint: 'http://no-such-host.invalid:29000', maxAttempts: 1 },
    });
    expect(SourceError.is(badHost, 'OXBOW_SOURCE_BAD_ADDRESS')).toBe(true);
  });
});

describe('directory streams on hdfs://', () => {
  let hdfs: MiniHdfs | undefined;
  let hdfsUrl: string;
  let stateDir: string | undefined;
  beforeAll(async () => {
    if (process.env.OXBOW_TEST_HDFS_URL) {
      hdfsUrl = process.env.OXBOW_TEST_HDFS_URL;
      return;
    }
    // Ports of its own, so it runs beside the stack's HDFS and the filesystem suite's.
    stateDir = mkdtempSync(join(tmpdir(), 'oxbow-dirstream-hdfs-'));
    hdfs = await startMiniHdfs({ stateDir, httpPort: 29874, rpcPort: 29824 });
    hdfsUrl = hdfs.url;
  });
  afterAll(async () => {
    await hdfs?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('read every file exactly once across a restart from the checkpoint', async () => {
    const root = `${hdfsUrl}/dirstream-${runId}`;
    const fs = new WebHdfsFileSystem(root, { user: 'oxbow' });
    try {
      expectEachOnce(await exactlyOnceAcrossRestart(root, fs, { hdfs: { user: 'oxbow' } }));
    } finally {
      await fs.deletePrefix('');
      await fs.close();
    }
  });

  it('fail start() with OXBOW_SOURCE_UNAVAILABLE when no NameNode answers', async () => {
    const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), BATCH);
    contexts.push(ssc);
    textFileStream(ssc, 'hdfs://127.0.0.1:1/landing/', {
      storage: { hdfs: { retry: { maxAttempts: 1 } } },
    }).print();
    const error = await ssc.start().catch((e: unknown) => e);
    expect(SourceError.is(error, 'OXBOW_SOURCE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/hdfs:\/\/127\.0\.0\.1:1\/landing\/: cannot list it/);
  });
});
