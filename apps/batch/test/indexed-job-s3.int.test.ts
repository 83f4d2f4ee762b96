/**
 * A split batch run on s3:// (the stack's S3Proxy, a unique prefix): three parts staged through S3 and merged
 * publish the tables and manifest views a single run publishes on file:// over the same records.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openFileSystem } from '@oxbow/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStackS3, TEST_BUCKET } from '../../../libs/connectors/test/support/s3-endpoint.ts';
import { partsRunDir } from '../src/run/batch-parts.ts';
import { mergeBatchParts, runBatch, runBatchPart } from '../src/run/run-batch.ts';
import { writeGeneratedLake } from './support/generated-lake.ts';
import { type PublishedRow, readManifestFile, readPublishedTables } from './support/published.ts';
import { testConfig } from './support/test-config.ts';

const LAKE = { epochMs: 30_000, httpCount: 1500, sensorCount: 600, seed: 5, partitions: 2 } as const;
let localDir: string;
let expected: Map<string, PublishedRow[]>;
let expectedViews: unknown;

const viewsOf = (views: ReadonlyArray<Record<string, unknown>>) =>
  views.map(({ name, rows, rowsIn, engine, fingerprint, coverage }) => ({
    name,
    rows,
    rowsIn,
    engine,
    fingerprint,
    coverage,
  }));

beforeAll(async () => {
  localDir = await mkdtemp(join(tmpdir(), 'oxbow-batch-indexed-s3-'));
  const url = `${pathToFileURL(localDir).href}/`;
  const fs = openFileSystem(url);
  try {
    await writeGeneratedLake(fs, LAKE);
    expect((await runBatch(testConfig(url), { lockSettleMs: 20 })).status).toBe('published');
    const manifest = await readManifestFile(fs);
    expected = await readPublishedTables(fs, manifest);
    expectedViews = viewsOf(manifest.views as never);
  } finally {
    await fs.close();
  }
});

afterAll(async () => {
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

describe('a split batch run on s3://', () => {
  it('stages three parts through S3 and merges them into the single run’s tables', async () => {
    const prefix = `batch-indexed-test-${Date.now()}-${process.pid}`;
    const fs = await openStackS3(prefix);
    const config = testConfig(`s3://${TEST_BUCKET}/${prefix}`);
    try {
      await writeGeneratedLake(fs, LAKE);
      const parts = await Promise.all(
        [0, 1, 2].map((index) =>
          runBatchPart(config, { part: { index, count: 3 }, partsRunId: 'nightly-1' }),
        ),
      );
      expect(parts.map((part) => part.status)).toEqual(['part-written', 'part-written', 'part-written']);
      expect(parts.map((part) => part.path)).toEqual(
        [0, 1, 2].map((i) => `views/_parts/nightly-1/part-${i}-of-3`),
      );
      const merged = await mergeBatchParts(config, { count: 3, partsRunId: 'nightly-1', lockSettleMs: 100 });
      expect(merged.status).toBe('published');
      const manifest = await readManifestFile(fs);
      expect(viewsOf(manifest.views as never)).toEqual(expectedViews);
      expect(await readPublishedTables(fs, manifest)).toEqual(expected);
      const left: string[] = [];
      for await (const file of fs.list(`${partsRunDir('nightly-1')}/`)) left.push(file.path);
      expect(left).toEqual([]);
      expect(await fs.exists('views/_lock')).toBe(false);
    } finally {
      await fs.deletePrefix('');
      await fs.close();
    }
  });
});
