import type { BatchRunSummary } from './run-batch.ts';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * The table printed at the end of a run: engine, mode (`full` or `incremental`), rows in, rows out, seconds, rows/s
 * and the definition's fingerprint per view (marked `new` or `changed` against the previous manifest), a total
 * line, the passes over the lake (rows and files scanned), the reasons views were not compiled or merged, then the
 * views no longer in the project, which were not published.
 *
 * @example
 * output.out(formatSummaryTable(await runBatch(config)));
 */
export function formatSummaryTable(summary: BatchRunSummary): string {
  if (summary.status !== 'published') {
    return summary.status === 'locked'
      ? `batch run ${summary.runId}: skipped, another run holds views/_lock`
      : `batch run ${summary.runId}: nothing to do, no sealed epoch in the lake`;
  }
  const header = ['view', 'engine', 'mode', 'rows in', 'rows out', 'seconds', 'rows/s', 'fingerprint'];
  const rows = summary.views.map((view) => [
    view.name,
    view.engine,
    view.mode,
    integer.format(view.rowsIn),
    integer.format(view.rowsOut),
    view.seconds.toFixed(2),
    integer.format(view.rowsPerSecond),
    view.change === 'new' || view.change === 'changed'
      ? `${view.fingerprint} (${view.change})`
      : view.fingerprint,
  ]);
  const seconds = (summary.finishedAtMs - summary.startedAtMs) / 1000;
  rows.push([
    'total',
    '',
    '',
    integer.format(summary.views.reduce((total, view) => total + view.rowsIn, 0)),
    integer.format(summary.views.reduce((total, view) => total + view.rowsOut, 0)),
    seconds.toFixed(2),
    '',
    '',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column < 3 || column === 7 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const removed = summary.removedViews;
  return [
    `batch run ${summary.runId}: published watermark epoch ${summary.watermarkEpoch} of ${summary.project} (parallelism ${summary.parallelism}, ${summary.tasksInWorkers} tasks in workers, ${summary.deletedVersions.length} old versions deleted)`,
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.slice(0, -1).map(line),
    line(widths.map((width) => '-'.repeat(width))),
    line(rows.at(-1) ?? []),
    ...summary.scans.map(
      (scan) =>
        `scanned ${scan.topic}: ${integer.format(scan.rows)} rows in ${scan.files} files (${scan.engine}, ${scan.mode}; ${scan.views.join(', ')}) in ${scan.seconds.toFixed(2)} s`,
    ),
    ...summary.views.flatMap((view) => (view.note === undefined ? [] : [`${view.name}: ${view.note}`])),
    ...(removed.length === 0 ? [] : [`no longer in the project, not published: ${removed.join(', ')}`]),
  ].join('\n');
}
