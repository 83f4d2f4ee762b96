/**
 * The batch metrics of real runs over a generated file:// lake: runs by outcome, the last run's rows per view and
 * files per topic as the summary states them, a failed run counted, and the textfile node_exporter reads.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type FileSystem, openFileSystem, writeMetricsTextfile } from '@oxbow/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchMetrics } from '../src/run/batch-metrics.ts';
import { runBatch } from '../src/run/run-batch.ts';
import { writeGeneratedLake } from './support/generated-lake.ts';
import { testConfig } from './support/test-config.ts';

let dir: string;
let lakeUrl: string;
let fs: FileSystem;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oxbow-batch-metrics-'));
  lakeUrl = `${pathToFileURL(join(dir, 'lake')).href}/`;
  fs = openFileSystem(lakeUrl);
  await writeGeneratedLake(fs, { epochMs: 30_000, httpCount: 600, sensorCount: 200 });
});

afterAll(async () => {
  await fs?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The value of the sample line `series value` (NaN when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

describe('BatchMetrics', () => {
  it('records runs by outcome, rows per view and files per topic, and writes them as a textfile', async () => {
    const metrics = new BatchMetrics();
    const summary = await metrics.measure(() => runBatch(testConfig(lakeUrl)));
    expect(summary.status).toBe('published');
    await expect(
      metrics.measure(() => runBatch(testConfig(lakeUrl, { project: join(dir, 'missing.project.ts') }))),
    ).rejects.toThrow();

    const path = join(dir, 'oxbow_batch.prom');
    await writeMetricsTextfile(path, metrics.registry);
    const text = await readFile(path, 'utf8');
    expect(sample(text, 'oxbow_batch_runs_total{status="published"}')).toBe(1);
    expect(sample(text, 'oxbow_batch_runs_total{status="failed"}')).toBe(1);
    expect(sample(text, 'oxbow_batch_runs_total{status="locked"}')).toBe(0);
    expect(sample(text, 'oxbow_batch_run_duration_seconds_count')).toBe(2);
    expect(sample(text, 'oxbow_batch_watermark_epoch')).toBe(summary.watermarkEpoch);
    expect(sample(text, 'oxbow_batch_last_success_timestamp_seconds')).toBe(summary.finishedAtMs / 1000);
    for (const view of summary.views) {
      expect(sample(text, `oxbow_batch_view_rows_in{view="${view.name}"}`)).toBe(view.rowsIn);
      expect(sample(text, `oxbow_batch_view_rows_out{view="${view.name}"}`)).toBe(view.rowsOut);
    }
    const files = summary.scans.reduce((sum, scan) => sum + scan.files, 0);
    expect(files).toBeGreaterThan(0);
    expect(sample(text, 'oxbow_batch_files_scanned_total')).toBe(files);
    for (const stage of ['read', 'compute', 'write']) {
      expect(sample(text, `oxbow_batch_stage_seconds{stage="${stage}"}`)).toBeGreaterThanOrEqual(0);
    }
    // A textfile holds the runs' metrics only: the process is gone when the collector reads it.
    expect(text).not.toContain('process_cpu_seconds_total');
  });
});
