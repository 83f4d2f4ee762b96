/**
 * A run follows the project and the lake as they are: a view over a topic with no traffic yet publishes an empty
 * table (at parallelism 1 and 2; this used to fail with "rebuilt differently in a worker"), a renamed Kafka topic
 * is read from its own lake directory, and after the user edits the project every view is recomputed, changed
 * fingerprints are recorded, removed views are no longer published, and manifests without fingerprints read as
 * "unknown".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import { decodeManifest, encodeManifest, MANIFEST_PATH } from '@oxbow/contracts';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { bucketStart, loadProject } from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLinesProgress } from '../src/run/progress.ts';
import { runBatch } from '../src/run/run-batch.ts';
import { formatSummaryTable } from '../src/run/summary-table.ts';
import { type GeneratedLake, writeGeneratedLake } from './support/generated-lake.ts';
import { type PublishedRow, readManifestFile, readPublishedTables } from './support/published.ts';
import { testConfig } from './support/test-config.ts';

const CHANGED_PROJECT = fileURLToPath(new URL('./fixtures/changed.project.ts', import.meta.url));
const LAKE = { epochMs: 30_000, httpCount: 1500, sensorCount: 0, seed: 7 } as const;

let root: string;
const opened: FileSystem[] = [];

async function newLake(name: string): Promise<{ url: string; fs: FileSystem }> {
  const url = `${pathToFileURL(join(root, name)).href}/`;
  const fs = openFileSystem(url);
  opened.push(fs);
  return { url, fs };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'oxbow-batch-project-'));
});

afterAll(async () => {
  for (const fs of opened) await fs.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('a topic without traffic', () => {
  let lake: GeneratedLake;
  let url: string;
  let fs: FileSystem;
  let serial: Map<string, PublishedRow[]>;

  beforeAll(async () => {
    ({ url, fs } = await newLake('http-only'));
    lake = await writeGeneratedLake(fs, LAKE);
  });

  it.each([1, 2])('publishes an empty table for its views at parallelism %i', async (parallelism) => {
    expect(lake.topics.sensor_readings.files).toBe(0);
    const summary = await runBatch(testConfig(url), { engine: 'rdd', parallelism, lockSettleMs: 20 });
    expect(summary.status).toBe('published');
    expect(summary.watermarkEpoch).toBe(lake.watermark);
    if (parallelism > 1) expect(summary.tasksInWorkers).toBeGreaterThan(0);
    expect(summary.views.find((view) => view.name === 'sensor_hourly')).toMatchObject({
      rowsIn: 0,
      rowsOut: 0,
    });
    const manifest = await readManifestFile(fs);
    expect(Object.keys(manifest.endOffsets)).toEqual(['http_logs']);
    expect(manifest.views.find((view) => view.name === 'sensor_hourly')?.rows).toBe(0);
    const tables = await readPublishedTables(fs, manifest);
    expect(tables.get('sensor_hourly')).toEqual([]);
    expect(tables.get('page_views_hourly')?.length).toBeGreaterThan(0);
    if (parallelism === 1) serial = tables;
    else expect(tables).toEqual(serial);
  });

  it('a renamed Kafka topic is read from its own lake directory, its end offsets keyed by it', async () => {
    const renamed = await newLake('renamed');
    await writeGeneratedLake(renamed.fs, { ...LAKE, httpDirectory: 'edge_logs' });
    const summary = await runBatch(testConfig(renamed.url, { archiverTopics: 'edge_logs:http_logs' }), {
      lockSettleMs: 20,
    });
    expect(summary.watermarkEpoch).toBe(lake.watermark);
    const manifest = await readManifestFile(renamed.fs);
    expect(manifest.endOffsets).toEqual({ edge_logs: lake.topics.http_logs.endOffsets.get(lake.watermark) });
    expect(await readPublishedTables(renamed.fs, manifest)).toEqual(serial);
  });
});

describe('an edited project', () => {
  it('recomputes every view, records changed fingerprints and stops publishing removed views', async () => {
    const { url, fs } = await newLake('edited');
    const lake = await writeGeneratedLake(fs, { ...LAKE, sensorCount: 300 });
    const before = await runBatch(testConfig(url), { lockSettleMs: 20 });
    expect(before.status).toBe('published');
    const example = await loadProject(WEB_ANALYTICS_PROJECT);
    const edited = await loadProject(CHANGED_PROJECT);

    const lines: string[] = [];
    const progress = jsonLinesProgress({ write: (text) => lines.push(text) });
    const after = await runBatch(testConfig(url, { project: CHANGED_PROJECT }), {
      lockSettleMs: 20,
      progress,
    });
    expect(after.status).toBe('published');
    expect(after.project).toBe(pathToFileURL(CHANGED_PROJECT).href);
    expect(after.views.map((view) => [view.name, view.change])).toEqual([
      ['page_views_hourly', 'same'],
      ['country_daily', 'same'],
      ['status_minutely', 'changed'],
      ['errors_by_country_hourly', 'new'],
    ]);
    // Unchanged views merge the epochs after the previous watermark; a changed or new view is computed in full.
    expect(after.views.map((view) => [view.name, view.mode])).toEqual([
      ['page_views_hourly', 'incremental'],
      ['country_daily', 'incremental'],
      ['status_minutely', 'full'],
      ['errors_by_country_hourly', 'full'],
    ]);
    expect(after.removedViews).toEqual(['sensor_hourly']);
    expect(formatSummaryTable(after)).toMatch(/no longer in the project, not published: sensor_hourly/);
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.find((event) => event.event === 'views')).toMatchObject({ removed: ['sensor_hourly'] });
    const started = events.filter((event) => event.event === 'view-started');
    expect(started.find((event) => event.view === 'status_minutely')?.columns).toEqual(['ts', 'status']);

    const manifest = await readManifestFile(fs);
    expect(manifest.views.map((view) => [view.name, view.fingerprint])).toEqual(
      edited.views.map((view) => [view.name, view.fingerprint]),
    );
    expect(edited.view('status_minutely').fingerprint).not.toBe(example.view('status_minutely').fingerprint);
    expect(edited.view('page_views_hourly').fingerprint).toBe(example.view('page_views_hourly').fingerprint);

    const tables = await readPublishedTables(fs, manifest);
    expect([...tables.keys()]).not.toContain('sensor_hourly');
    // Merged tables equal a full recompute byte for byte.
    await runBatch(testConfig(url, { project: CHANGED_PROJECT }), { full: true, lockSettleMs: 20 });
    const recomputed = await readPublishedTables(fs, await readManifestFile(fs));
    expect(tables.get('page_views_hourly')).toEqual(recomputed.get('page_views_hourly'));
    expect(tables.get('country_daily')).toEqual(recomputed.get('country_daily'));
    const statuses = tables.get('status_minutely') ?? [];
    expect(statuses.every((row) => row.bucket % 300_000 === 0)).toBe(true);

    // The new view: filtered events, list-valued fields stored as JSON text. No view reads sensor_readings any
    // more, so E is the last sealed epoch of http_logs.
    const watermark = lake.topics.http_logs.sealed.at(-1) ?? Number.NaN;
    expect(after.watermarkEpoch).toBe(watermark);
    const included = lake.topics.http_logs.records
      .filter((entry) => entry.epoch <= watermark && entry.record.status >= 500)
      .map((entry) => entry.record);
    const expected = new Map<string, { errors: number; methods: Set<string> }>();
    for (const record of included) {
      const cell = `${record.country} @ ${bucketStart(Date.parse(record.ts), 3_600_000)}`;
      const value = expected.get(cell) ?? { errors: 0, methods: new Set<string>() };
      value.errors++;
      value.methods.add(record.method);
      expected.set(cell, value);
    }
    const errors = tables.get('errors_by_country_hourly') ?? [];
    expect(errors.length).toBe(expected.size);
    for (const row of errors) {
      const truth = expected.get(`${row.key} @ ${row.bucket}`);
      expect(row.errors).toBe(truth?.errors);
      expect(JSON.parse(String(row.methods))).toEqual([...(truth?.methods ?? [])].sort());
      const top = JSON.parse(String(row.topPaths)) as Array<[string, number]>;
      expect(top.length).toBeGreaterThan(0);
      expect(top.length).toBeLessThanOrEqual(3);
    }
  });

  it('a manifest without fingerprints (an older run) reads as unknown fingerprints', async () => {
    const { url, fs } = await newLake('older-manifest');
    await writeGeneratedLake(fs, { ...LAKE, sensorCount: 300 });
    await runBatch(testConfig(url), { views: ['country_daily', 'sensor_hourly'], lockSettleMs: 20 });
    const current = await readManifestFile(fs);
    const older = {
      ...current,
      views: current.views.map(({ fingerprint: _dropped, ...view }) => view),
    };
    await fs.putAtomic(MANIFEST_PATH, encodeManifest(older));
    const decoded = decodeManifest(await fs.read(MANIFEST_PATH), MANIFEST_PATH);
    expect(decoded.views.map((view) => view.fingerprint)).toEqual([undefined, undefined]);
    const next = await runBatch(testConfig(url), { lockSettleMs: 20 });
    expect(next.views.map((view) => [view.name, view.change])).toEqual([
      ['page_views_hourly', 'new'],
      ['country_daily', 'unknown'],
      ['status_minutely', 'new'],
      ['sensor_hourly', 'unknown'],
    ]);
    expect((await readManifestFile(fs)).views.every((view) => typeof view.fingerprint === 'string')).toBe(
      true,
    );
  });
});
