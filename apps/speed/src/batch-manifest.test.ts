import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openFileSystem } from '@oxbow/connectors';
import { type BatchManifest, encodeManifest } from '@oxbow/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifest } from './batch-manifest.ts';
import { splitIncrementKey } from './increments.ts';

describe('readManifest', () => {
  const manifest: BatchManifest = {
    format: 'oxbow-batch-manifest',
    version: 1,
    runId: 'r1',
    epochMs: 3_600_000,
    watermarkEpoch: 489012,
    endOffsets: { http_logs: { '0': '1200', '1': '1187' } },
    views: [],
    duckdb: 'views/v=r1/views.duckdb',
    startedAt: '2026-11-24T13:00:00.000Z',
    finishedAt: '2026-11-24T13:00:01.000Z',
    durationsMs: { read: 1, compute: 1, write: 1 },
  };
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function lake(manifestText?: string) {
    const dir = mkdtempSync(join(tmpdir(), 'oxbow-speed-manifest-'));
    dirs.push(dir);
    if (manifestText !== undefined) {
      mkdirSync(join(dir, 'views'));
      writeFileSync(join(dir, 'views', '_manifest.json'), manifestText);
    }
    return openFileSystem(`${pathToFileURL(dir).href}/`);
  }

  it('reads the watermark and end offsets; no manifest before the first batch run', async () => {
    const text = new TextDecoder().decode(encodeManifest(manifest));
    expect(await readManifest(lake(text))).toEqual({ kind: 'ok', manifest });
    expect(await readManifest(lake())).toEqual({ kind: 'missing' });
  });

  it('gives a reason for torn or foreign documents', async () => {
    const reason = async (text: string) => {
      const read = await readManifest(lake(text));
      return read.kind === 'unreadable' ? read.reason : `read ${read.kind}`;
    };
    expect(await reason('{"format":"oxbow-batch-manifest","vers')).toMatch(/not JSON/);
    expect(await reason(JSON.stringify({ ...manifest, version: 2 }))).toMatch(/version 2/);
    expect(await reason(JSON.stringify({ ...manifest, endOffsets: { t: { '0': '-1' } } }))).toMatch(/offset/);
  });
});

describe('increment keys', () => {
  it('splits epoch, partition and a view key containing colons', () => {
    expect(splitIncrementKey('489012:2:/x:y')).toEqual({ epoch: 489012, partition: 2, key: '/x:y' });
  });
});
