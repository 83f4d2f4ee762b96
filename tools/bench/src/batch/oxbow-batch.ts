/**
 * Oxbow's rows of the batch benchmark: one `runBatch` of the batch app over the benchmark lake, in a process of its
 * own (`oxbow-batch-process.ts`), with a chosen engine, full or incremental, measured from /proc.
 */
import { fileURLToPath } from 'node:url';
import { NODE, runMeasured, tablesOf } from './measured-process.ts';
import type { OxbowProcessOptions, OxbowProcessResult } from './oxbow-batch-process.ts';
import type { EngineRun, ViewTotals } from './results.ts';

const CHILD = fileURLToPath(new URL('./oxbow-batch-process.ts', import.meta.url));

/** One Oxbow run: the row of the table and what the batch app reported. */
export interface OxbowRun {
  readonly run: EngineRun;
  readonly report: OxbowProcessResult;
}

/**
 * Runs the batch app once in its own process and returns its row (`name`, `note` prefix) with the published
 * tables' rows, totals and state digests.
 *
 * @example
 * ```ts
 * const { run } = await runOxbowProcess('Oxbow auto, full', { lake: 'file:///…/', engine: 'auto', full: true, parallelism: 2, epochMs: 3_600_000 });
 * ```
 */
export async function runOxbowProcess(name: string, options: OxbowProcessOptions): Promise<OxbowRun> {
  const measured = await runMeasured<OxbowProcessResult>(NODE, [CHILD, JSON.stringify(options)]);
  const tables = tablesOf<ViewTotals[]>(measured.stdout, name);
  const report = measured.result;
  const engines = [...new Set(report.views.map((view) => view.engine))].join(' + ');
  const modes = [...new Set(report.views.map((view) => view.mode))].join(' + ');
  const eventsRead = report.scans.reduce((sum, scan) => sum + scan.rows, 0);
  const note =
    `node start + runBatch ${report.runSeconds.toFixed(2)} s (compute ${(report.durationsMs.compute / 1000).toFixed(2)} s, ` +
    `write ${(report.durationsMs.write / 1000).toFixed(2)} s); engine ${engines}, ${modes}; ` +
    `${report.scans.length} passes over ${report.scans.reduce((sum, scan) => sum + scan.files, 0)} files`;
  return {
    run: {
      name,
      wallSeconds: measured.wallSeconds,
      cpuSeconds: measured.cpuSeconds,
      peakRssBytes: measured.peakRssBytes,
      eventsRead,
      note,
      views: tables,
    },
    report,
  };
}
