/**
 * The same run on s3:// (the stack's S3Proxy, a unique prefix) and hdfs:// (a real single-node HDFS, started
 * here): the published views are identical to a file:// run over the same lake, with the RDD engine reading
 * in workers, and with the compiled (DuckDB) engine over files downloaded once, incrementally and in full.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MiniHdfs, startMiniHdfs } from '../../../libs/connectors/test/support/hdfs-server.ts';
import { openStackS3, TEST_BUCKET } from '../../../libs/connectors/test/support/s3-endpoint.ts';
import { runBatch } from '../src/run/run-batch.ts';
import { writeGeneratedLake } from './support/generated-lake.ts';
import { type PublishedRow, readManifestFile, readPublishedTables } from './support/published.ts';
import { testConfig } from './support/test-config.ts';

const LAKE = { epochMs: 30_000, httpCount: 500, sensorCount: 200, seed: 99 } as const;
let localDir: string;
let expected: Map<string, PublishedRow[]>;
let watermark: number;

beforeAll(async () => {
  localDir = await mkdtemp(join(tmpdir(), 'oxbow-batch-remote-'));
  const url = `${pathToFileURL(localDir).href}/`;
  const fs = openFileSystem(url);
  try {
    watermark = (await writeGeneratedLake(fs, LAKE)).watermark;
    const summary = await runBatch(testConfig(url), { engine: 'rdd', lockSettleMs: 20 });
    expected = await readPublishedTables(fs, await readManifestFile(fs));
    expect(summary.watermarkEpoch).toBe(watermark);
  } finally {
    await fs.close();
  }
});

afterAll(async () => {
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

async function runOn(fs: FileSystem, lakeUrl: string): Promise<void> {
  await writeGeneratedLake(fs, LAKE);
  const rdd = await runBatch(testConfig(lakeUrl), { engine: 'rdd', parallelism: 2, lockSettleMs: 100 });
  expect(rdd.status).toBe('published');
  expect(rdd.watermarkEpoch).toBe(watermark);
  expect(rdd.tasksInWorkers).toBeGreaterThan(0);
  const manifest = await readManifestFile(fs);
  expect(manifest.runId).toBe(rdd.runId);
  expect(await readPublishedTables(fs, manifest)).toEqual(expected);
  expect(await fs.exists(`views/v=${rdd.runId}/page_views_hourly.parquet`)).toBe(true);

  const auto = await runBatch(testConfig(lakeUrl), { engine: 'auto', lockSettleMs: 100 });
  expect(auto.views.map((view) => [view.engine, view.mode, view.change])).toEqual(
    auto.views.map(() => ['duckdb', 'incremental', 'same']),
  );
  expect(await readPublishedTables(fs, await readManifestFile(fs))).toEqual(expected);
  const full = await runBatch(testConfig(lakeUrl), { engine: 'duckdb', full: true, lockSettleMs: 100 });
  expect(full.views.every((view) => view.engine === 'duckdb' && view.mode === 'full')).toBe(true);
  expect(await readPublishedTables(fs, await readManifestFile(fs))).toEqual(expected);
  expect(await fs.exists('views/_lock')).toBe(false);
}

describe('runBatch on s3://', () => {
  it('publishes the same views as on file://', async () => {
    const prefix = `batch-test-${Date.now()}-${process.pid}`;
    const fs = await openStackS3(prefix);
    try {
      await runOn(fs, `s3://${TEST_BUCKET}/${prefix}`);
    } finally {
      await fs.deletePrefix('');
      await fs.close();
    }
  });
});

describe('runBatch on hdfs://', () => {
  let hdfs: MiniHdfs | undefined;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'oxbow-batch-hdfs-'));
    hdfs = await startMiniHdfs({ stateDir, httpPort: 29871, rpcPort: 29821 });
  });

  afterAll(async () => {
    await hdfs?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('publishes the same views as on file://', async () => {
    const url = `${hdfs?.url ?? ''}/batch-test`;
    const fs = openFileSystem(url);
    try {
      await runOn(fs, url);
    } finally {
      await fs.close();
    }
  });
});
