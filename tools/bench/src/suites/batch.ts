/**
 * `npm run bench -- batch`: recompute the http views over 10 million events (× `--scale`) archived as Parquet in
 * the contract's lake layout, with Oxbow's batch app (RDD engine at parallelism 1 and 2; DuckDB engine where it
 * has SQL plans), hand-written DuckDB SQL (the ceiling) and Apache Spark 4 in local[2] mode, all in one run.
 * Every engine must agree on the rows and hits of every view before anything is reported.
 */
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { runDuckDbCeiling } from '../batch/duckdb-ceiling.ts';
import { ensureBenchLake } from '../batch/lake.ts';
import { runOxbowBatch } from '../batch/oxbow-batch.ts';
import {
  batchTable,
  crossCheck,
  type EngineRun,
  HTTP_VIEW_NAMES,
  viewSecondsTable,
} from '../batch/results.ts';
import { runSparkPeer, SPARK_JVM_OPTIONS } from '../batch/spark-peer.ts';
import { formatNumber, machineLine } from '../report.ts';

const EVENTS = 10_000_000;
const EPOCH_MS = 3_600_000;
const SPARK_MASTER = 'local[2]';
const SPARK_HEAP = '4g';

function log(message: string): void {
  console.log(`batch: ${message}`);
}

/** Runs the suite and returns the Markdown section. */
export async function runBatchSuite(options: { scale: number }): Promise<string> {
  const events = Math.round(EVENTS * options.scale);
  const loadBefore = loadavg()[0] ?? 0;
  const lake = await ensureBenchLake({ events, root: resolve('.oxbow/bench'), epochMs: EPOCH_MS });
  log(
    `${lake.reused ? 'reusing' : `generated in ${lake.generatedSeconds.toFixed(1)} s`} ${lake.dir}: ` +
      `${formatNumber(events)} events, ${lake.files.length} files, ${lake.epochs} epochs, ` +
      `${(lake.bytes / 2 ** 20).toFixed(0)} MiB`,
  );

  const runs: EngineRun[] = [];
  const notes: string[] = [];
  for (const parallelism of [1, 2]) {
    log(`Oxbow batch app, engine rdd, parallelism ${parallelism}…`);
    const run = await runOxbowBatch(lake.dir, { engine: 'rdd', parallelism, epochMs: EPOCH_MS });
    runs.push({
      name: `Oxbow RDD, parallelism ${parallelism}`,
      seconds: run.seconds,
      note: `runBatch end to end; compute ${(run.durationsMs.compute / 1000).toFixed(2)} s, write ${(run.durationsMs.write / 1000).toFixed(2)} s; ${run.tasksInWorkers} tasks on workers`,
      views: run.views,
    });
    for (const reason of run.inProcessReasons) notes.push(`parallelism ${parallelism}: ${reason}`);
  }
  log('Oxbow batch app, engine auto (DuckDB where a SQL plan exists), parallelism 2…');
  const auto = await runOxbowBatch(lake.dir, { engine: 'auto', parallelism: 2, epochMs: EPOCH_MS });
  runs.push({
    name: 'Oxbow DuckDB path (auto), parallelism 2',
    seconds: auto.seconds,
    note: `runBatch end to end; ${auto.views.map((v) => `${v.name} ${v.engine}`).join(', ')}; compute ${(auto.durationsMs.compute / 1000).toFixed(2)} s, write ${(auto.durationsMs.write / 1000).toFixed(2)} s`,
    views: auto.views,
  });

  log('hand-written DuckDB SQL…');
  const duck = await runDuckDbCeiling(lake.dir, 2);
  const ceilingName = 'DuckDB SQL (ceiling), 2 threads';
  runs.push({
    name: ceilingName,
    seconds: duck.seconds,
    note: `DuckDB ${duck.version} in-process, CREATE TABLE AS per view`,
    views: duck.views,
  });

  log(`Spark ${SPARK_MASTER} (fetching jars and compiling on first use)…`);
  const spark = await runSparkPeer(lake.dir, { master: SPARK_MASTER, heap: SPARK_HEAP });
  const sparkName = `Spark ${spark.sparkVersion} ${spark.master}`;
  runs.push({
    name: sparkName,
    seconds: spark.wallSeconds,
    note: `java launched to SparkSession stopped: JVM start ${spark.jvmStartSeconds.toFixed(2)} s, session ${spark.sessionSeconds.toFixed(2)} s, query ${spark.querySeconds.toFixed(2)} s`,
    views: spark.views,
  });
  runs.push({
    name: `Spark ${spark.sparkVersion} ${spark.master}, query only`,
    seconds: spark.querySeconds,
    note: 'read + aggregate + collect of the three views, warm session',
    views: spark.views.map(({ name, rows, hits }) => ({ name, rows, hits })),
  });
  const loadAfter = loadavg()[0] ?? 0;

  const problems = crossCheck(runs, events);
  if (problems.length > 0) throw new Error(`engines disagree:\n${problems.join('\n')}`);
  const table = batchTable(runs, events, { ceiling: ceilingName, spark: sparkName });
  const perView = viewSecondsTable(runs);
  console.log(table);
  console.log(perView);

  const reference = runs[0]?.views ?? [];
  const rowsLine = HTTP_VIEW_NAMES.map(
    (name) => `${name} ${formatNumber(reference.find((v) => v.name === name)?.rows ?? 0)}`,
  ).join(', ');
  return [
    '## Batch recompute (`npm run bench -- batch`)',
    '',
    `Machine: ${machineLine()}; Java ${spark.javaVersion}. Scale ${options.scale}: ${formatNumber(events)}`,
    `generated http_logs events (\`generateHttpLogs\`, seed 42) in ${lake.files.length} Parquet files (zstd, the`,
    `archiver's layout: ${lake.epochs} one-hour epochs × 3 Kafka partitions, ${(lake.bytes / 2 ** 20).toFixed(0)} MiB),`,
    'cached under `.oxbow/bench/`. Every engine computes the three http views (page_views_hourly with count,',
    '5xx count, bytes sum, approximate distinct users and latency p50/p95/p99; country_daily; status_minutely)',
    'over the same files. Rows per view (key × bucket):',
    `${rowsLine}; the run stops unless every engine has those rows and one hit per event in every view.`,
    '',
    batchTable(runs, events, { ceiling: ceilingName, spark: sparkName }),
    '',
    'Seconds per view (Oxbow: as `runBatch` reports them; DuckDB: each `CREATE TABLE AS`; Spark: each',
    '`collectAsList`, the first one pays the JIT warm-up):',
    '',
    perView,
    '',
    '- Time ratios are run seconds ÷ peer seconds: 3.00× means three times as long. "vs Spark" compares with the',
    "  Spark row that includes the JVM and SparkSession start, as Oxbow's rows include starting `runBatch`'s worker",
    '  threads and writing the batch-view version (Parquet + DuckDB file + manifest), which Spark and the DuckDB',
    '  ceiling do not do (they keep results in memory).',
    `- Oxbow's DuckDB path is the batch app's \`auto\` engine: DuckDB SQL for the views with a SQL plan, the RDD`,
    '  engine for page_views_hourly (its quantile sketch has no plan), so that row mixes both.',
    `- Spark: \`spark-sql_2.13\` ${spark.sparkVersion} from Maven Central, our tools/bench/spark/src/OxbowSparkViews.java`,
    `  compiled with javac, run with \`java -Xmx${SPARK_HEAP}\` and the module flags spark-submit adds on Java 17`,
    `  (${SPARK_JVM_OPTIONS.length} options: \`--add-opens=java.base/…=ALL-UNNAMED\`, \`-Djdk.reflect.useDirectMethodHandle=false\`, …),`,
    '  `spark.sql.shuffle.partitions=4`, adaptive execution on, UI off; `approx_count_distinct` and',
    '  `percentile_approx` (accuracy 10 000).',
    `- Noise: single runs on a ${availableParallelism()}-core machine shared with other work (1-minute load`,
    `  average ${loadBefore.toFixed(2)} before the runs, ${loadAfter.toFixed(2)} after); expect ±20 % or more between`,
    '  runs. Parallelism 2 has no spare core for the driver.',
    ...(notes.length > 0
      ? [
          '- Stages the dataflow scheduler ran on the driver instead of worker threads:',
          ...[...new Set(notes)].map((note) => `  - ${note}`),
        ]
      : []),
  ].join('\n');
}
