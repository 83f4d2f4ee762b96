import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openFileSystem } from '@oxbow/connectors';
import {
  type BatchManifest,
  encodeManifest,
  historyManifestPath,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
} from '@oxbow/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestHistory } from './manifest-history.ts';

function manifest(runId: string, watermarkEpoch: number): BatchManifest {
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    runId,
    epochMs: 3_600_000,
    watermarkEpoch,
    endOffsets: {},
    views: [{ name: 'page_views_hourly', rows: 10, parquet: 'p', computeMs: 5 }],
    duckdb: `views/v=${runId}/views.duckdb`,
    startedAt: '2026-11-24T13:00:00.000Z',
    finishedAt: '2026-11-24T13:00:02.500Z',
    durationsMs: { read: 1000, compute: 1000, write: 500 },
  };
}

describe('ManifestHistory', () => {
  const root = mkdtempSync(join(tmpdir(), 'oxbow-manifest-history-'));
  const lake = openFileSystem(`${pathToFileURL(root).href}/`);
  afterAll(async () => {
    await lake.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('lists the newest runs first with their durations and watermark time, skipping damaged ones', async () => {
    await lake.putAtomic(
      historyManifestPath('20261124T120000000Z-aaaaaaaa'),
      encodeManifest(manifest('20261124T120000000Z-aaaaaaaa', 1)),
    );
    await lake.putAtomic(
      historyManifestPath('20261124T130000000Z-bbbbbbbb'),
      encodeManifest(manifest('20261124T130000000Z-bbbbbbbb', 2)),
    );
    await lake.putAtomic(
      historyManifestPath('20261124T140000000Z-cccccccc'),
      new TextEncoder().encode('{"torn'),
    );
    const runs = await new ManifestHistory(lake).newest(5);
    expect(runs.map((run) => run.runId)).toEqual([
      '20261124T130000000Z-bbbbbbbb',
      '20261124T120000000Z-aaaaaaaa',
    ]);
    expect(runs[0]).toMatchObject({
      watermarkEpoch: 2,
      watermarkThrough: '1970-01-01T03:00:00.000Z',
      durationMs: 2500,
      views: [{ name: 'page_views_hourly', rows: 10, computeMs: 5 }],
    });
    expect(await new ManifestHistory(lake).newest(1)).toHaveLength(1);
  });

  it('lists the lake again when the run served now is not in its listing', async () => {
    const history = new ManifestHistory(lake, { listTtlMs: 3_600_000 });
    const before = await history.newest(10);
    const runId = '20261124T150000000Z-eeeeeeee';
    await lake.putAtomic(historyManifestPath(runId), encodeManifest(manifest(runId, 3)));
    // Within the listing's lifetime a run not asked for is not seen; the served one is.
    expect(await history.newest(10)).toEqual(before);
    expect((await history.newest(10, runId)).map((run) => run.runId)[0]).toBe(runId);
  });
});
