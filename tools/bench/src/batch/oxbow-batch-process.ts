/**
 * The process of one Oxbow row of the batch benchmark: `node oxbow-batch-process.ts '<json options>'` runs
 * `runBatch` of the batch app (`@oxbow/batch`) once over the lake for every view of the web-analytics example, end
 * to end (lock, list, compute, write the version's Parquet and DuckDB files, publish the manifest), prints its
 * result line (`measured-process.ts`) the moment `runBatch` returns, then reads the published tables back with DuckDB,
 * outside the measured time, for the checks: rows, count totals and a digest of every (key, bucket, state) row,
 * printed as a second line.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  type BatchConfig,
  type BatchEngine,
  jsonLinesProgress,
  runBatch,
  storageOptionsOf,
} from '@oxbow/batch';
import { openFileSystem } from '@oxbow/connectors';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { resultLine, TABLES_PREFIX } from './measured-process.ts';
import { VIEW_COUNTS, VIEW_NAMES, type ViewTotals } from './results.ts';

/** The options of one run (the child's only argument, as JSON). */
export interface OxbowProcessOptions {
  /** The lake URL (`file:///…/` or `s3://bucket/prefix/`). */
  readonly lake: string;
  readonly engine: BatchEngine;
  /** `--full`: recompute every view; otherwise views merge the new epochs into the previous version. */
  readonly full: boolean;
  readonly parallelism: number;
  readonly epochMs: number;
  /** The run's memory budget (the RDD shuffle's spill threshold and DuckDB's memory limit). */
  readonly memoryBudgetBytes?: number;
  /** S3 endpoint and credentials, for an `s3://` lake. */
  readonly s3?: {
    readonly endpoint: string;
    readonly accessKey: string;
    readonly secretKey: string;
    readonly region: string;
  };
}

/** The first result line's payload. */
export interface OxbowProcessResult {
  readonly runSeconds: number;
  readonly durationsMs: { readonly read: number; readonly compute: number; readonly write: number };
  readonly tasksInWorkers: number;
  readonly inProcessReasons: readonly string[];
  readonly shuffle: { readonly bytesSpilled: number; readonly blocksSpilled: number };
  readonly scans: ReadonlyArray<{
    readonly topic: string;
    readonly engine: string;
    readonly mode: string;
    readonly files: number;
    readonly rows: number;
    readonly seconds: number;
  }>;
  readonly views: ReadonlyArray<{
    readonly name: string;
    readonly engine: string;
    readonly mode: string;
    readonly rowsIn: number;
    readonly seconds: number;
  }>;
}

async function main(options: OxbowProcessOptions): Promise<void> {
  const config: BatchConfig = {
    lake: options.lake,
    project: WEB_ANALYTICS_PROJECT,
    epochMs: options.epochMs,
    s3Endpoint: options.s3?.endpoint ?? 'http://127.0.0.1:1',
    s3AccessKey: options.s3?.accessKey ?? 'unused',
    s3SecretKey: options.s3?.secretKey ?? 'unused',
    s3Region: options.s3?.region ?? 'us-east-1',
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
  const started = performance.now();
  const summary = await runBatch(config, {
    // Every view, named: a run of chosen views leaves the project's models out (see the suite's notes).
    views: VIEW_NAMES,
    engine: options.engine,
    full: options.full,
    parallelism: options.parallelism,
    progress,
    ...(options.memoryBudgetBytes === undefined ? {} : { memoryBudgetBytes: options.memoryBudgetBytes }),
  });
  const runSeconds = (performance.now() - started) / 1000;
  if (summary.status !== 'published' || summary.manifest === undefined) {
    throw new Error(`the batch app did not publish (status ${summary.status})`);
  }
  const result: OxbowProcessResult = {
    runSeconds,
    durationsMs: summary.durationsMs,
    tasksInWorkers: summary.tasksInWorkers,
    inProcessReasons: [...inProcessReasons],
    shuffle: summary.shuffle,
    scans: summary.scans,
    views: summary.views.map(({ name, engine, mode, rowsIn, seconds }) => ({
      name,
      engine,
      mode,
      rowsIn,
      seconds,
    })),
  };
  console.log(resultLine(result));

  // Outside the measured time: read the published tables back.
  const fs = openFileSystem(config.lake, storageOptionsOf(config));
  const scratch = await mkdtemp(join(tmpdir(), 'oxbow-bench-tables-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const tables: ViewTotals[] = [];
  try {
    for (const view of summary.manifest.views) {
      let path: string;
      if (config.lake.startsWith('file:')) {
        path = fileURLToPath(
          new URL(view.parquet, config.lake.endsWith('/') ? config.lake : `${config.lake}/`),
        );
      } else {
        path = join(scratch, `${view.name}.parquet`);
        await writeFile(path, await fs.read(view.parquet));
      }
      const column = VIEW_COUNTS[view.name as keyof typeof VIEW_COUNTS]?.column;
      if (column === undefined) throw new Error(`view ${view.name} is not one the benchmark knows`);
      const reader = await connection.runAndReadAll(
        `SELECT key, bucket::BIGINT, state, "${column}"::BIGINT FROM read_parquet('${path.replaceAll("'", "''")}') ORDER BY bucket, key`,
      );
      const digest = createHash('sha256');
      let total = 0;
      let rows = 0;
      for (const [key, bucket, state, count] of reader.getRowsJS()) {
        digest.update(`${String(key)}\u0000${String(bucket)}\u0000`);
        digest.update(state as Uint8Array);
        digest.update('\n');
        total += Number(count);
        rows++;
      }
      const ran = summary.views.find((v) => v.name === view.name);
      tables.push({
        name: view.name,
        rows,
        total,
        digest: digest.digest('hex').slice(0, 16),
        ...(ran === undefined ? {} : { seconds: ran.seconds, engine: ran.engine, mode: ran.mode }),
      });
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
    await fs.close();
    await rm(scratch, { recursive: true, force: true });
  }
  console.log(`${TABLES_PREFIX}${JSON.stringify(tables)}`);
}

// Guard so that importing the types does not run a batch.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(JSON.parse(process.argv[2] ?? '{}') as OxbowProcessOptions);
}
