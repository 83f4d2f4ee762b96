/**
 * Writes benchmark results into docs/benchmarks.md: each suite owns one section between markers, replaced on
 * every run, so the file keeps the latest figures of every suite.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** One measured row. */
export interface BenchRow {
  name: string;
  records: number;
  seconds: number;
  note?: string;
}

/** Records per second of a row. */
export function rate(row: BenchRow): number {
  return row.records / row.seconds;
}

/** Formats a number with thousands separators. */
export function formatNumber(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A Markdown table of rows, with throughput and the ratio to the row named `baseline`. */
export function markdownTable(rows: readonly BenchRow[], baseline?: string): string {
  const base = rows.find((r) => r.name === baseline);
  const header = ['| run | records | seconds | records/s |', '| --- | ---: | ---: | ---: |'];
  if (base) {
    header[0] += ' vs baseline |';
    header[1] += ' ---: |';
  }
  const lines = rows.map((row) => {
    let line = `| ${row.name} | ${formatNumber(row.records)} | ${row.seconds.toFixed(2)} | ${formatNumber(rate(row))} |`;
    if (base) line += ` ${(rate(row) / rate(base)).toFixed(2)}× |`;
    return line;
  });
  return [...header, ...lines].join('\n');
}

/** A line describing the machine, for the report. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Replaces (or appends) the section of `suite` in the report file. */
export function writeSection(reportPath: string, suite: string, body: string): void {
  const start = `<!-- bench:${suite}:start -->`;
  const end = `<!-- bench:${suite}:end -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  let text = existsSync(reportPath)
    ? readFileSync(reportPath, 'utf8')
    : '# Benchmarks\n\nWritten by `npm run bench`; each section is replaced by the run of its suite.\n';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from >= 0 && to > from) text = text.slice(0, from) + section + text.slice(to + end.length);
  else text = `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(reportPath, text);
}
