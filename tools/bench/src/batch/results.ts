/**
 * What every engine of the batch benchmark reports, the cross-engine correctness check, and the result table.
 * Pure functions: no I/O.
 */

/** One view as computed by one engine: rows (key × bucket groups) and total hits. */
export interface ViewTotals {
  readonly name: string;
  readonly rows: number;
  readonly hits: number;
  /** Seconds the engine spent on this view, when it reports them. */
  readonly seconds?: number;
  /** Which engine computed it, when a run mixes engines. */
  readonly engine?: string;
}

/** One engine's run over the lake. */
export interface EngineRun {
  /** Row label, e.g. `Oxbow RDD, parallelism 2`. */
  readonly name: string;
  /** Seconds to report (the figure ratios use). */
  readonly seconds: number;
  /** What the seconds include, for the notes column. */
  readonly note: string;
  readonly views: readonly ViewTotals[];
}

/** The view names every engine must compute. */
export const HTTP_VIEW_NAMES = ['page_views_hourly', 'country_daily', 'status_minutely'] as const;

/**
 * Checks that every engine computed every view with the expected hits (one per event) and the same number of
 * (key, bucket) rows as the first engine. Returns the list of disagreements (empty when all agree).
 *
 * @example
 * ```ts
 * const problems = crossCheck(runs, 1_000_000);
 * if (problems.length > 0) throw new Error(problems.join('\n'));
 * ```
 */
export function crossCheck(runs: readonly EngineRun[], events: number): string[] {
  const problems: string[] = [];
  const reference = runs[0];
  for (const run of runs) {
    for (const name of HTTP_VIEW_NAMES) {
      const view = run.views.find((v) => v.name === name);
      if (view === undefined) {
        problems.push(`${run.name}: view ${name} missing`);
        continue;
      }
      if (view.hits !== events)
        problems.push(`${run.name}: ${name} has ${view.hits} hits, expected ${events}`);
      const expected = reference?.views.find((v) => v.name === name);
      if (expected !== undefined && view.rows !== expected.rows) {
        problems.push(`${run.name}: ${name} has ${view.rows} rows, ${reference?.name} has ${expected.rows}`);
      }
    }
  }
  return problems;
}

function formatInteger(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function ratio(numerator: number, denominator: number | undefined): string {
  if (denominator === undefined || !(denominator > 0)) return '–';
  const value = numerator / denominator;
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
}

/**
 * The Markdown table of runs: seconds, events/s, and time relative to the ceiling and to Spark (how many times
 * longer than that peer; below 1 is faster).
 *
 * @example
 * ```ts
 * batchTable(runs, 10_000_000, { ceiling: 'DuckDB SQL (ceiling)', spark: 'Spark 4.1.3 local[2]' });
 * ```
 */
export function batchTable(
  runs: readonly EngineRun[],
  events: number,
  peers: { readonly ceiling: string; readonly spark: string },
): string {
  const ceiling = runs.find((run) => run.name === peers.ceiling)?.seconds;
  const spark = runs.find((run) => run.name === peers.spark)?.seconds;
  const lines = [
    '| run | seconds | events/s | time vs DuckDB SQL | time vs Spark | includes |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const run of runs) {
    lines.push(
      `| ${run.name} | ${run.seconds.toFixed(2)} | ${formatInteger(events / run.seconds)} | ` +
        `${ratio(run.seconds, ceiling)} | ${ratio(run.seconds, spark)} | ${run.note} |`,
    );
  }
  return lines.join('\n');
}

/**
 * A Markdown table of seconds per view (columns) for every run (rows), with the engine when a run says it.
 *
 * @example
 * ```ts
 * viewSecondsTable(runs); // | run | page_views_hourly | country_daily | status_minutely |
 * ```
 */
export function viewSecondsTable(runs: readonly EngineRun[]): string {
  const lines = [
    `| run | ${HTTP_VIEW_NAMES.join(' | ')} |`,
    `| --- |${HTTP_VIEW_NAMES.map(() => ' ---: |').join('')}`,
  ];
  for (const run of runs) {
    const cells = HTTP_VIEW_NAMES.map((name) => {
      const view = run.views.find((v) => v.name === name);
      if (view?.seconds === undefined) return '–';
      return view.engine === undefined
        ? view.seconds.toFixed(2)
        : `${view.seconds.toFixed(2)} (${view.engine})`;
    });
    lines.push(`| ${run.name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
