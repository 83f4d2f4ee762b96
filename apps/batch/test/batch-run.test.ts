/**
 * A batch run of the web-analytics example over a generated file:// lake: the published views equal plain DuckDB
 * SQL over the raw events of the sealed epochs (the example's oracle, sharing no code with the pipeline),
 * sketches within their stated error; each view's fingerprint is in the manifest; the table columns follow the
 * fields' kinds; parallelism 2 reads in workers and matches parallelism 1; the compiled engine (DuckDB SQL and the
 * columnar fold) publishes the same tables byte for byte, in full and incrementally; a view that does not compile
 * runs on the RDD path under `auto` and is refused by `--engine duckdb`; old versions are garbage-collected.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import { PAGE_VIEWS_HLL_PRECISION, WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { webAnalyticsOracle } from '@oxbow/example-web-analytics/oracle';
import { loadProject } from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDistinctWithin } from '../../../libs/views/test/support/distinct-tolerance.ts';
import type { OracleRow, ViewOracle } from '../../../libs/views/test/support/oracle.ts';
import { BatchError } from '../src/errors.ts';
import { runBatch } from '../src/run/run-batch.ts';
import { formatSummaryTable } from '../src/run/summary-table.ts';
import { type GeneratedLake, writeGeneratedLake } from './support/generated-lake.ts';
import { type PublishedRow, readManifestFile, readPublishedTables } from './support/published.ts';
import { testConfig } from './support/test-config.ts';

const OPAQUE_PROJECT = fileURLToPath(new URL('./fixtures/opaque.project.ts', import.meta.url));

let dir: string;
let lakeUrl: string;
let fs: FileSystem;
let lake: GeneratedLake;
let oracle: ViewOracle;
let rddTables: Map<string, PublishedRow[]>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oxbow-batch-run-'));
  lakeUrl = `${pathToFileURL(dir).href}/`;
  fs = openFileSystem(lakeUrl);
  lake = await writeGeneratedLake(fs, { epochMs: 30_000, httpCount: 3000, sensorCount: 1000 });
  const included = <R>(topic: { records: ReadonlyArray<{ record: R; epoch: number }> }) =>
    topic.records.filter((entry) => entry.epoch <= lake.watermark).map((entry) => entry.record as object);
  oracle = await webAnalyticsOracle({
    http_logs: included(lake.topics.http_logs),
    sensor_readings: included(lake.topics.sensor_readings),
  });
});

afterAll(async () => {
  oracle?.close();
  await fs?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const cellOf = (row: { key: string; bucket?: number; bucketStartMs?: number }) =>
  `${row.key} @ ${row.bucket ?? row.bucketStartMs}`;

function paired(rows: PublishedRow[], truth: OracleRow[]): Array<[PublishedRow, OracleRow]> {
  expect(rows.map(cellOf)).toEqual(truth.map(cellOf));
  return rows.map((row, index) => [row, truth[index] as OracleRow]);
}

describe('runBatch on a file:// lake', () => {
  it('publishes every view over the sealed epochs ≤ E, equal to DuckDB SQL over the raw events', async () => {
    expect(lake.watermark).toBeGreaterThan(0);
    const summary = await runBatch(testConfig(lakeUrl), { engine: 'rdd', parallelism: 2, lockSettleMs: 20 });
    expect(summary.status).toBe('published');
    expect(summary.watermarkEpoch).toBe(lake.watermark);
    expect(summary.tasksInWorkers).toBeGreaterThan(0);
    const manifest = await readManifestFile(fs);
    expect(manifest.runId).toBe(summary.runId);
    expect(manifest.watermarkEpoch).toBe(lake.watermark);
    const project = await loadProject(WEB_ANALYTICS_PROJECT);
    expect(manifest.views.map((view) => [view.name, view.fingerprint])).toEqual(
      project.views.map((view) => [view.name, view.fingerprint]),
    );
    expect(summary.views.map((view) => view.change)).toEqual(['new', 'new', 'new', 'new']);
    expect(summary.removedViews).toEqual([]);
    expect(manifest.endOffsets).toEqual({
      http_logs: lake.topics.http_logs.endOffsets.get(lake.watermark),
      sensor_readings: lake.topics.sensor_readings.endOffsets.get(lake.watermark),
    });
    expect(await fs.exists(`views/_manifests/${summary.runId}.json`)).toBe(true);
    const included = lake.topics.http_logs.records.filter((entry) => entry.epoch <= lake.watermark).length;
    expect(included).toBeLessThan(lake.topics.http_logs.records.length); // the unsealed epoch is left out
    expect(summary.views.find((view) => view.name === 'page_views_hourly')?.rowsIn).toBe(included);
    const fingerprint = project.view('page_views_hourly').fingerprint;
    expect(formatSummaryTable(summary)).toMatch(
      new RegExp(`page_views_hourly\\s+rdd\\s+full\\s+[\\d,]+\\s+[\\d,]+.*${fingerprint} \\(new\\)`),
    );

    rddTables = await readPublishedTables(fs, manifest);
    for (const view of manifest.views) expect(rddTables.get(view.name)?.length, view.name).toBe(view.rows);
    // Columns from the fields' kinds: counts BIGINT (integers), quantiles split into _p50/_p95/_p99.
    expect(Object.keys(rddTables.get('page_views_hourly')?.[0] ?? {})).toEqual([
      'key',
      'bucket',
      'state',
      'hits',
      'errors',
      'bytes',
      'uniqueUsers',
      'latencyMs_p50',
      'latencyMs_p95',
      'latencyMs_p99',
    ]);

    const pages = paired(rddTables.get('page_views_hourly') ?? [], await oracle.rows('page_views_hourly'));
    const distinct: Array<[number, number, string]> = [];
    for (const [row, truth] of pages) {
      expect({ hits: row.hits, errors: row.errors, bytes: row.bytes }, cellOf(row)).toEqual({
        hits: truth.hits,
        errors: truth.errors,
        bytes: truth.bytes,
      });
      distinct.push([row.uniqueUsers as number, truth.uniqueUsers as number, cellOf(row)]);
      for (const q of ['p50', 'p95', 'p99']) {
        const exact = truth[`latencyMs_${q}`] as number;
        expect(
          Math.abs((row[`latencyMs_${q}`] as number) - exact),
          `${cellOf(row)} ${q}`,
        ).toBeLessThanOrEqual(0.01 * Math.abs(exact) + 1e-9);
      }
    }
    expectDistinctWithin(distinct, PAGE_VIEWS_HLL_PRECISION);

    const countries = paired(rddTables.get('country_daily') ?? [], await oracle.rows('country_daily'));
    expect(new Set(countries.map(([row]) => row.bucket)).size).toBe(2);
    for (const [row, truth] of countries) expect(row.hits, cellOf(row)).toBe(truth.hits);
    expectDistinctWithin(
      countries.map(([row, truth]) => [row.uniqueUsers as number, truth.uniqueUsers as number, cellOf(row)]),
      14,
    );

    const statuses = paired(rddTables.get('status_minutely') ?? [], await oracle.rows('status_minutely'));
    for (const [row, truth] of statuses) expect(row.hits, cellOf(row)).toBe(truth.hits);

    const sensors = paired(rddTables.get('sensor_hourly') ?? [], await oracle.rows('sensor_hourly'));
    for (const [row, truth] of sensors) {
      expect({ count: row.count, min: row.min, max: row.max }, cellOf(row)).toEqual({
        count: truth.count,
        min: truth.min,
        max: truth.max,
      });
      expect(row.temperature as number, cellOf(row)).toBeCloseTo(truth.temperature as number, 9);
    }
  });

  it('parallelism 1 publishes the same tables as 2; a second run finds every fingerprint unchanged', async () => {
    const serial = await runBatch(testConfig(lakeUrl), {
      engine: 'rdd',
      parallelism: 1,
      full: true,
      lockSettleMs: 20,
    });
    expect(serial.tasksInWorkers).toBe(0);
    expect(serial.views.map((view) => [view.change, view.mode])).toEqual(
      serial.views.map(() => ['same', 'full']),
    );
    expect(await readPublishedTables(fs, await readManifestFile(fs))).toEqual(rddTables);
  });

  it('the compiled engine publishes the RDD path’s tables byte for byte, in full and merging no new epoch', async () => {
    const full = await runBatch(testConfig(lakeUrl), { engine: 'duckdb', full: true, lockSettleMs: 20 });
    expect(full.views.map((view) => [view.engine, view.mode])).toEqual(
      full.views.map(() => ['duckdb', 'full']),
    );
    expect(full.scans.map((scan) => [scan.topic, scan.engine, scan.views.length])).toEqual([
      ['http_logs', 'duckdb', 3],
      ['sensor_readings', 'duckdb', 1],
    ]);
    expect(formatSummaryTable(full)).toMatch(/scanned http_logs: [\d,]+ rows in \d+ files \(duckdb, full;/);
    expect(await readPublishedTables(fs, await readManifestFile(fs))).toEqual(rddTables);
    const again = await runBatch(testConfig(lakeUrl), { lockSettleMs: 20 });
    expect(again.views.map((view) => [view.engine, view.mode])).toEqual(
      again.views.map(() => ['duckdb', 'incremental']),
    );
    expect(again.views.every((view) => view.rowsIn === 0)).toBe(true);
    expect(await readPublishedTables(fs, await readManifestFile(fs))).toEqual(rddTables);
  });

  it('auto computes views that do not compile on the RDD path; duckdb refuses them', async () => {
    const config = testConfig(lakeUrl, { project: OPAQUE_PROJECT });
    const auto = await runBatch(config, {
      views: ['status_minutely', 'opaque_key', 'own_aggregator'],
      untilEpoch: lake.watermark,
      lockSettleMs: 20,
    });
    expect(auto.views.map((view) => [view.name, view.engine])).toEqual([
      ['status_minutely', 'duckdb'],
      ['opaque_key', 'rdd'],
      ['own_aggregator', 'rdd'],
    ]);
    expect(auto.views.find((view) => view.name === 'own_aggregator')?.note).toMatch(/aggregator of its own/);
    const tables = await readPublishedTables(fs, await readManifestFile(fs));
    const hits = (name: string) => tables.get(name)?.reduce((total, row) => total + (row.hits as number), 0);
    expect(hits('opaque_key')).toBe(hits('status_minutely'));
    expect(tables.get('own_aggregator')?.reduce((total, row) => total + Number(row.bytes), 0)).toBe(
      lake.topics.http_logs.records
        .filter((entry) => entry.epoch <= lake.watermark)
        .reduce((total, entry) => total + entry.record.bytes, 0),
    );
    const refused = runBatch(config, { engine: 'duckdb', views: ['country_daily', 'opaque_key'] });
    await expect(refused).rejects.toSatisfy(
      (error) =>
        BatchError.is(error, 'OXBOW_BATCH_NO_SQL_PLAN') &&
        /no SQL plan for opaque_key \(the key function hides which fields it reads\)/.test(error.message),
    );
    await expect(runBatch(testConfig(lakeUrl), { views: ['no_such_view'] })).rejects.toSatisfy(
      (error) => BatchError.is(error, 'OXBOW_BATCH_USAGE') && /page_views_hourly/.test(error.message),
    );
  });

  it('--until-epoch caps the watermark, and only the newest batchKeepRuns versions stay', async () => {
    const first = lake.topics.http_logs.sealed[0] ?? 0;
    const capped = await runBatch(testConfig(lakeUrl, { batchKeepRuns: 2 }), {
      untilEpoch: first,
      views: ['status_minutely'],
      lockSettleMs: 20,
    });
    expect(capped.watermarkEpoch).toBe(first);
    expect(capped.manifest?.endOffsets.http_logs).toEqual(lake.topics.http_logs.endOffsets.get(first));
    expect(capped.deletedVersions.length).toBeGreaterThan(0);
    const versions = new Set<string>();
    for await (const file of fs.list('views/v=')) versions.add(file.path.split('/')[1] ?? '');
    expect(versions.size).toBe(2);
    expect(versions.has(`v=${capped.runId}`)).toBe(true);
    const history: string[] = [];
    for await (const file of fs.list('views/_manifests/')) history.push(file.path);
    expect(history).toHaveLength(2);
  });
});
