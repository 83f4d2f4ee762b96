import { describe, expect, it } from 'vitest';
import { MANIFEST_HISTORY_DIR } from '../lake/lake-layout.ts';
import { type BatchManifest, encodeManifest } from './batch-manifest.ts';
import { type ManifestHistorySource, newestHistoryManifest } from './manifest-history.ts';

const manifestOf = (runId: string): BatchManifest => ({
  format: 'oxbow-batch-manifest',
  version: 1,
  runId,
  epochMs: 3_600_000,
  watermarkEpoch: 7,
  endOffsets: {},
  views: [],
  duckdb: `views/v=${runId}/views.duckdb`,
  startedAt: '2026-11-24T13:00:00.000Z',
  finishedAt: '2026-11-24T13:00:04.000Z',
  durationsMs: { read: 1, compute: 1, write: 1 },
});

/** A lake of files in memory. */
function lakeOf(files: Record<string, Uint8Array | string>): ManifestHistorySource {
  return {
    async *list(prefix) {
      for (const path of Object.keys(files)) if (path.startsWith(prefix)) yield { path };
    },
    async read(path) {
      const content = files[path];
      if (content === undefined) throw new Error(`no file ${path}`);
      return typeof content === 'string' ? new TextEncoder().encode(content) : content;
    },
  };
}

const older = '20261124T120000000Z-00000001';
const newer = '20261124T130000000Z-00000002';
const newest = '20261124T140000000Z-00000003';

describe('newestHistoryManifest', () => {
  it('gives the newest entry that decodes, passing over a torn one', async () => {
    const lake = lakeOf({
      [`${MANIFEST_HISTORY_DIR}/${older}.json`]: encodeManifest(manifestOf(older)),
      [`${MANIFEST_HISTORY_DIR}/${newest}.json`]: '{"format":"oxbow-batch-mani',
      [`${MANIFEST_HISTORY_DIR}/${newer}.json`]: encodeManifest(manifestOf(newer)),
      [`${MANIFEST_HISTORY_DIR}/notes.txt`]: 'not a manifest',
    });
    const found = await newestHistoryManifest(lake);
    expect(found?.manifest.runId).toBe(newer);
    expect(found?.path).toBe(`${MANIFEST_HISTORY_DIR}/${newer}.json`);
  });

  it('is undefined without history, and throws what `skip` does not accept', async () => {
    expect(await newestHistoryManifest(lakeOf({}))).toBeUndefined();
    const torn = lakeOf({ [`${MANIFEST_HISTORY_DIR}/${newest}.json`]: '{' });
    await expect(newestHistoryManifest(torn, () => false)).rejects.toThrow();
  });
});
