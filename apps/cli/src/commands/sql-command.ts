/**
 * `oxbow sql "SELECT …" [--limit N] [--timeout-ms N] [--json]`: ad-hoc SQL over the lake — the project's topics
 * and the published batch views — through `runLakeSql` of `@oxbow/connectors` (the function the serving API's
 * `POST /v1/sql` calls too), printed as a table or as JSON lines.
 */
import {
  LAKE_SQL_DEFAULTS,
  type LakeSqlResult,
  runLakeSql,
  type SqlColumn,
  SqlError,
  type SqlValue,
  sqlRowToJson,
} from '@oxbow/connectors';
import { bindTopics, loadProject, resolveProjectPath } from '@oxbow/views';
import type { ParsedArgs } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CommandEnvironment } from './stack-command.ts';

/** The flags `oxbow sql` takes. */
export const SQL_FLAGS = ['limit', 'timeout-ms', 'json'] as const;

const USAGE = 'usage: oxbow sql "SELECT …" [--limit N] [--timeout-ms N] [--json]';
/** Widest cell of the table output; longer values end in `…` (`--json` prints them whole). */
const MAX_CELL = 60;
const NUMERIC_TYPE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

function integerFlag(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new CliError('OXBOW_USAGE', `--${name} ${text}: expected an integer of at least ${min}`);
  }
  return value;
}

function cellText(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array) {
    const hex = Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, 16)).toString('hex');
    return `\\x${hex}${value.byteLength > 16 ? '…' : ''} (${value.byteLength} bytes)`;
  }
  if (typeof value === 'object') return JSON.stringify(sqlRowToJson({ value }).value);
  return String(value);
}

function shorten(text: string): string {
  const oneLine = text.replace(/\r?\n/g, '⏎');
  return oneLine.length > MAX_CELL ? `${oneLine.slice(0, MAX_CELL - 1)}…` : oneLine;
}

/**
 * A result as an aligned text table: a header, a rule, one line per row; numbers right-aligned, NULL as `NULL`,
 * timestamps in ISO-8601, bytes as hex, long or multi-line values shortened.
 *
 * @example
 * formatSqlTable({ columns: [{ name: 'n', type: 'BIGINT' }], rows: [{ n: 3 }] });
 * // 'n\n-\n3'
 */
export function formatSqlTable(result: Pick<LakeSqlResult, 'columns' | 'rows'>): string {
  const columns: readonly SqlColumn[] = result.columns;
  const cells = result.rows.map((row) =>
    columns.map((column) => shorten(cellText(row[column.name] ?? null))),
  );
  const header = columns.map((column) => shorten(column.name));
  const widths = header.map((name, index) =>
    Math.max(name.length, ...cells.map((row) => row[index]?.length ?? 0)),
  );
  const numeric = columns.map((column) => NUMERIC_TYPE.test(column.type));
  const line = (row: readonly string[]) =>
    row
      .map((cell, index) =>
        numeric[index] ? cell.padStart(widths[index] ?? 0) : cell.padEnd(widths[index] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

/**
 * Runs `oxbow sql`. The query is the rest of the command line (quote it for the shell). Exit codes: 0 with the
 * rows (also when the limit left some out: stderr says so), 2 for a query DuckDB refuses to run (syntax, unknown
 * table or column, not a `SELECT`) or bad flags, 1 when the query fails while running or passes its time limit.
 *
 * @example
 * // oxbow sql "SELECT status, count(*) AS n FROM http_logs GROUP BY ALL ORDER BY n DESC" --limit 10
 */
export async function runSqlCommand(args: ParsedArgs, env: CommandEnvironment): Promise<number> {
  const query = args.command.slice(1).join(' ').trim();
  if (query === '') throw new CliError('OXBOW_USAGE', USAGE);
  const limit = integerFlag('limit', args.flags.limit, LAKE_SQL_DEFAULTS.limit, 0);
  const timeoutMs = integerFlag('timeout-ms', args.flags.timeoutMs, LAKE_SQL_DEFAULTS.timeoutMs, 1);
  const project = await loadProject(resolveProjectPath(env.config.project));
  let result: LakeSqlResult;
  try {
    result = await runLakeSql(env.config, query, {
      project,
      bindings: bindTopics(project, env.config.archiverTopics),
      limit,
      timeoutMs,
      ...(env.signal ? { signal: env.signal } : {}),
    });
  } catch (error) {
    if (SqlError.is(error, 'OXBOW_SQL_INVALID')) {
      throw new CliError('OXBOW_USAGE', `sql: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const { output } = env;
  if (args.flags.json) {
    for (const row of result.rows) output.out(JSON.stringify(sqlRowToJson(row)));
  } else {
    output.out(formatSqlTable(result));
  }
  const rows = `${result.rows.length} row${result.rows.length === 1 ? '' : 's'}`;
  output.err(
    result.truncated
      ? `oxbow sql: ${rows} shown, more left out by the limit (--limit ${limit}), ${result.elapsedMs} ms`
      : `oxbow sql: ${rows}, ${result.elapsedMs} ms`,
  );
  return 0;
}
