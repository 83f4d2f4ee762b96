/**
 * What every engine of the batch benchmark reports, the correctness checks (every engine has the same rows and one
 * count per event; Oxbow's runs that must agree have identical states) and the result tables. Pure functions: no
 * I/O.
 */

/** One view as computed by one engine. */
export interface ViewTotals {
  readonly name: string;
  /** Rows: (key, bucket) groups. */
  readonly rows: number;
  /** The sum of the view's count column (one per event of its topic). */
  readonly total: number;
  /** Seconds the engine spent on this view, when it reports them. */
  readonly seconds?: number;
  /** Which engine computed it (Oxbow: `duckdb` for SQL-compiled, `rdd`), and how (`full`, `incremental`). */
  readonly engine?: string;
  readonly mode?: string;
  /** Oxbow: SHA-256 of the table's (key, bucket, state) rows in (bucket, key) order. */
  readonly digest?: string;
}

/** One engine's run over the lake, measured as a process of its own. */
export interface EngineRun {
  /** Row label, e.g. `Oxbow auto (SQL-compiled), full, file://`. */
  readonly name: string;
  /** From spawning the process until its work was done. */
  readonly wallSeconds: number;
  /** User + system CPU of the process. */
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  /** Events the run read (both topics). */
  readonly eventsRead: number;
  /** What the figures include. */
  readonly note: string;
  readonly views: readonly ViewTotals[];
}

/** The views of the example project, each with its count column and topic. */
export const VIEW_COUNTS = {
  page_views_hourly: { column: 'hits', topic: 'http_logs' },
  country_daily: { column: 'hits', topic: 'http_logs' },
  status_minutely: { column: 'hits', topic: 'http_logs' },
  sensor_hourly: { column: 'count', topic: 'sensor_readings' },
} as const;

/** The view names every engine must compute. */
export const VIEW_NAMES = Object.keys(VIEW_COUNTS) as (keyof typeof VIEW_COUNTS)[];

/** Events per topic in the lake a run read. */
export type TopicEvents = Readonly<Record<(typeof VIEW_COUNTS)[keyof typeof VIEW_COUNTS]['topic'], number>>;

/**
 * Checks that every run computed every view with one count per event of its topic and the same number of (key,
 * bucket) rows as the first run. Returns the disagreements (empty when all agree).
 *
 * @example
 * ```ts
 * const problems = crossCheck(runs, { http_logs: 10_000_000, sensor_readings: 1_000_000 });
 * if (problems.length > 0) throw new Error(problems.join('\n'));
 * ```
 */
export function crossCheck(runs: readonly EngineRun[], events: TopicEvents): string[] {
  const problems: string[] = [];
  const reference = runs[0];
  for (const run of runs) {
    for (const name of VIEW_NAMES) {
      const view = run.views.find((v) => v.name === name);
      if (view === undefined) {
        problems.push(`${run.name}: view ${name} missing`);
        continue;
      }
      const expected = events[VIEW_COUNTS[name].topic];
      if (view.total !== expected) {
        problems.push(`${run.name}: ${name} counts ${view.total} events, expected ${expected}`);
      }
      const rows = reference?.views.find((v) => v.name === name)?.rows;
      if (rows !== undefined && view.rows !== rows) {
        problems.push(`${run.name}: ${name} has ${view.rows} rows, ${reference?.name} has ${rows}`);
      }
    }
  }
  return problems;
}

/**
 * Checks that two Oxbow runs published identical tables: per view the same rows and the same digest of its
 * (key, bucket, state) rows. Returns the differences (empty when identical).
 *
 * @example
 * ```ts
 * identicalStates(auto, rdd); // [] or ['page_views_hourly: states differ (…)']
 * ```
 */
export function identicalStates(left: EngineRun, right: EngineRun): string[] {
  const problems: string[] = [];
  for (const name of VIEW_NAMES) {
    const a = left.views.find((v) => v.name === name);
    const b = right.views.find((v) => v.name === name);
    if (a?.digest === undefined || b?.digest === undefined) {
      problems.push(`${name}: no state digest from ${a?.digest === undefined ? left.name : right.name}`);
      continue;
    }
    if (a.rows !== b.rows) problems.push(`${name}: ${left.name} has ${a.rows} rows, ${right.name} ${b.rows}`);
    if (a.digest !== b.digest) {
      problems.push(`${name}: states differ (${left.name} ${a.digest}, ${right.name} ${b.digest})`);
    }
  }
  return problems;
}

function formatInteger(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** `a ÷ b` as `2.50×` (one decimal from 10× on), or `–` without a positive `b`. */
export function ratio(numerator: number, denominator: number | undefined): string {
  if (denominator === undefined || !(denominator > 0)) return '–';
  const value = numerator / denominator;
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
}

/**
 * The Markdown table of runs: wall seconds, CPU seconds, peak RSS, events/s, and wall time relative to the
 * DuckDB SQL run and to the Spark run (how many times as long; below 1 is faster).
 *
 * @example
 * ```ts
 * batchTable(runs, { duckdb: 'DuckDB SQL', spark: 'Spark 4.1.3 local[2]' });
 * ```
 */
export function batchTable(
  runs: readonly EngineRun[],
  peers: { readonly duckdb: string; readonly spark: string },
): string {
  const duckdb = runs.find((run) => run.name === peers.duckdb)?.wallSeconds;
  const spark = runs.find((run) => run.name === peers.spark)?.wallSeconds;
  const lines = [
    '| run | wall s | CPU s | peak RSS MiB | events read | events/s | wall vs DuckDB SQL | wall vs Spark | includes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const run of runs) {
    lines.push(
      `| ${run.name} | ${run.wallSeconds.toFixed(2)} | ${run.cpuSeconds.toFixed(2)} | ` +
        `${formatInteger(run.peakRssBytes / 2 ** 20)} | ${formatInteger(run.eventsRead)} | ` +
        `${formatInteger(run.eventsRead / run.wallSeconds)} | ${ratio(run.wallSeconds, duckdb)} | ` +
        `${ratio(run.wallSeconds, spark)} | ${run.note} |`,
    );
  }
  return lines.join('\n');
}

/**
 * A Markdown table of seconds per view (columns) for every run (rows) that reports them, with the engine when a
 * run says it. Oxbow computes all views of a topic in one pass, so its views of one topic share that pass's time.
 *
 * @example
 * ```ts
 * viewSecondsTable(runs); // | run | page_views_hourly | country_daily | status_minutely | sensor_hourly |
 * ```
 */
export function viewSecondsTable(runs: readonly EngineRun[]): string {
  const lines = [`| run | ${VIEW_NAMES.join(' | ')} |`, `| --- |${VIEW_NAMES.map(() => ' ---: |').join('')}`];
  for (const run of runs) {
    if (run.views.every((view) => view.seconds === undefined)) continue;
    const cells = VIEW_NAMES.map((name) => {
      const view = run.views.find((v) => v.name === name);
      if (view?.seconds === undefined) return '–';
      const how = [view.engine, view.mode].filter((part) => part !== undefined).join(', ');
      return how === '' ? view.seconds.toFixed(2) : `${view.seconds.toFixed(2)} (${how})`;
    });
    lines.push(`| ${run.name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
