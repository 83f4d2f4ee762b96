import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openFileSystem } from '@oxbow/connectors';
import { type BatchManifest, encodeManifest } from '@oxbow/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { ManifestWatcher } from './manifest-watcher.ts';

const RUN = '20261124T130000000Z-abcdef12';
const manifest: BatchManifest = {
  format: 'oxbow-batch-manifest',
  version: 1,
  runId: RUN,
  epochMs: 3_600_000,
  watermarkEpoch: 489012,
  endOffsets: { http_logs: { '0': '1200' } },
  views: [],
  duckdb: `views/v=${RUN}/views.duckdb`,
  startedAt: '2026-11-24T13:00:00.000Z',
  finishedAt: '2026-11-24T13:00:01.000Z',
  durationsMs: { read: 1, compute: 1, write: 1 },
};

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('ManifestWatcher with a torn _manifest.json', () => {
  it('falls back to the newest history manifest, says so once, and says when the manifest is readable again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oxbow-manifest-watch-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'views', '_manifests'), { recursive: true });
    const bytes = encodeManifest(manifest);
    writeFileSync(join(dir, 'views', '_manifests', `${RUN}.json`), bytes);
    // A truncated manifest, and a writer's torn temporary beside it.
    writeFileSync(join(dir, 'views', '_manifest.json'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    writeFileSync(join(dir, 'views', `._manifest.json.oxbow-tmp-1`), bytes.subarray(0, 10));
    const lines: string[] = [];
    const watcher = new ManifestWatcher(openFileSystem(pathToFileURL(dir).href), {
      pollMs: 1000,
      onPoll: async () => {},
      log: (line) => lines.push(line),
    });
    expect((await watcher.refresh(2))?.runId).toBe(RUN);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('the batch manifest is unreadable');
    expect(lines[0]).toContain(`using views/_manifests/${RUN}.json (watermark epoch 489012)`);
    await watcher.refresh(1);
    expect(lines).toHaveLength(1);
    writeFileSync(join(dir, 'views', '_manifest.json'), bytes);
    expect((await watcher.refresh(1))?.watermarkEpoch).toBe(489012);
    expect(lines).toEqual([lines[0], 'the batch manifest is readable again']);
  });

  it('keeps the current manifest when there is no history to fall back to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oxbow-manifest-watch-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'views'), { recursive: true });
    const bytes = encodeManifest(manifest);
    writeFileSync(join(dir, 'views', '_manifest.json'), bytes);
    const lines: string[] = [];
    const watcher = new ManifestWatcher(openFileSystem(pathToFileURL(dir).href), {
      pollMs: 1000,
      onPoll: async () => {},
      log: (line) => lines.push(line),
    });
    expect((await watcher.refresh(1))?.runId).toBe(RUN);
    writeFileSync(join(dir, 'views', '_manifest.json'), bytes.subarray(0, 20));
    expect((await watcher.refresh(1))?.runId).toBe(RUN);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`keeping the manifest of run ${RUN}`);
  });
});
