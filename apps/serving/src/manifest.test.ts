import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openFileSystem } from '@oxbow/connectors';
import { ContractError, encodeManifest } from '@oxbow/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { readCurrentManifest } from './manifest.ts';

const manifest = (runId: string) =>
  new TextDecoder().decode(
    encodeManifest({
      format: 'oxbow-batch-manifest',
      version: 1,
      runId,
      epochMs: 3_600_000,
      watermarkEpoch: 7,
      endOffsets: {},
      views: [{ name: 'page_views_hourly', rows: 3, parquet: 'views/x.parquet' }],
      duckdb: `views/v=${runId}/views.duckdb`,
      startedAt: '2026-11-24T13:00:00.000Z',
      finishedAt: '2026-11-24T13:00:01.000Z',
      durationsMs: { read: 1, compute: 1, write: 1 },
    }),
  );

describe('manifest', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function lake(files: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), 'oxbow-manifest-'));
    dirs.push(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return openFileSystem(`${pathToFileURL(dir).href}/`);
  }

  it('reads the current manifest; none before the first run', async () => {
    expect(await readCurrentManifest(lake({}))).toBeUndefined();
    expect((await readCurrentManifest(lake({ 'views/_manifest.json': manifest('r2') })))?.runId).toBe('r2');
  });

  it('retries a torn manifest, then falls back to the newest history entry', async () => {
    const fs = lake({
      'views/_manifest.json': '{"format":"oxbow-batch-manif',
      'views/_manifests/20261124T100000000Z-00000001.json': manifest('20261124T100000000Z-00000001'),
      'views/_manifests/20261124T110000000Z-00000002.json': manifest('20261124T110000000Z-00000002'),
    });
    let sleeps = 0;
    const read = await readCurrentManifest(fs, { sleep: async () => void sleeps++ });
    expect(read?.runId).toBe('20261124T110000000Z-00000002');
    expect(sleeps).toBe(2);
  });

  it('throws the decoding error when neither the manifest nor the history decodes', async () => {
    const fs = lake({
      'views/_manifest.json': manifest('r1').replace('views/v=r1/views.duckdb', '../etc/x'),
    });
    const failure = await readCurrentManifest(fs, { sleep: async () => {} }).catch((error: unknown) => error);
    expect(ContractError.is(failure, 'OXBOW_MANIFEST_INVALID')).toBe(true);
    expect((failure as Error).message).toMatch(/duckdb "..\/etc\/x" is not a path inside the lake/);
  });
});
