/**
 * Oxbow's rows of the batch benchmark: one `runBatch` of the batch app (`@oxbow/batch`) over the benchmark lake
 * for the three http views, with a chosen engine and parallelism, end to end (lock, list, compute, write the
 * version's Parquet and DuckDB files, publish the manifest). The published views are then read back with DuckDB,
 * outside the timing, for the cross-engine check.
 */
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { type BatchConfig, type BatchEngine, jsonLinesProgress, runBatch } from '@oxbow/batch';
import { HTTP_VIEW_NAMES, type ViewTotals } from './results.ts';

/** Timings and totals of one batch-app run. */
export interface OxbowBatchRun {
  /** Wall time of `runBatch`. */
  readonly seconds: number;
  /** The run's own phases: listing, computing the views, writing the version. */
  readonly durationsMs: { readonly read: number; readonly compute: number; readonly write: number };
  readonly engines: readonly string[];
  readonly tasksInWorkers: number;
  /** Why stages ran on the driver instead of worker threads, as the dataflow scheduler reported it. */
  readonly inProcessReasons: readonly string[];
  readonly views: readonly (ViewTotals & { readonly seconds: number; readonly engine: string })[];
}

/** Runs the batch app once over `lakeDir` and reads its published views back. */
export async function runOxbowBatch(
  lakeDir: string,
  options: { engine: BatchEngine; parallelism: number; epochMs: number },
): Promise<OxbowBatchRun> {
  // The lake is a local directory: the S3 settings are required by the type and never used.
  const config: BatchConfig = {
    lake: `${pathToFileURL(lakeDir).href}/`,
    epochMs: options.epochMs,
    s3Endpoint: 'http://127.0.0.1:1',
    s3AccessKey: 'unused',
    s3SecretKey: 'unused',
    s3Region: 'us-east-1',
    batchParallelism: options.parallelism,
    batchKeepRuns: 1,
    batchLockTtlMs: 600_000,
  };
  const inProcessReasons = new Set<string>();
  const progress = jsonLinesProgress({
    write(text) {
      for (const line of text.split('\n')) {
        if (!line.includes('"in-process-stage"')) continue;
        const reason = (JSON.parse(line) as { reason?: unknown }).reason;
        if (typeof reason === 'string') inProcessReasons.add(reason);
      }
    },
  });
  const start = performance.now();
  const summary = await runBatch(config, {
    views: [...HTTP_VIEW_NAMES],
    engine: options.engine,
    parallelism: options.parallelism,
    progress,
  });
  const seconds = (performance.now() - start) / 1000;
  if (summary.status !== 'published' || summary.manifest === undefined) {
    throw new Error(`the batch app did not publish (status ${summary.status})`);
  }
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const views: (ViewTotals & { seconds: number; engine: string })[] = [];
  try {
    for (const view of summary.manifest.views) {
      const path = `${lakeDir}/${view.parquet}`.replaceAll("'", "''");
      const [row] = (
        await connection.runAndReadAll(
          `SELECT count(*)::BIGINT, sum(hits)::BIGINT FROM read_parquet('${path}')`,
        )
      ).getRows();
      const ran = summary.views.find((v) => v.name === view.name);
      views.push({
        name: view.name,
        rows: Number(row?.[0]),
        hits: Number(row?.[1]),
        seconds: ran?.seconds ?? 0,
        engine: ran?.engine ?? 'rdd',
      });
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return {
    seconds,
    durationsMs: summary.durationsMs,
    engines: [...new Set(summary.views.map((view) => view.engine))],
    tasksInWorkers: summary.tasksInWorkers,
    inProcessReasons: [...inProcessReasons],
    views,
  };
}
