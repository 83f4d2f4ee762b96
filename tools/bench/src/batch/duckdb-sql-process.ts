/**
 * The process of the hand-written DuckDB SQL row: `node duckdb-sql-process.ts <lake dir> <database file> <threads>`
 * creates the database file, computes every view with `CREATE TABLE … AS` (`ceilingSql`), closes the database
 * (DuckDB checkpoints it to the file) and prints its result line; the rows and count totals are read back after.
 */
import { rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { ceilingSql, type DuckDbSqlResult } from './duckdb-ceiling.ts';
import { resultLine, TABLES_PREFIX } from './measured-process.ts';
import { VIEW_COUNTS, type ViewTotals } from './results.ts';

const [lakeDir, databaseFile, threadsArgument] = process.argv.slice(2);
if (lakeDir === undefined || databaseFile === undefined) {
  console.error('usage: duckdb-sql-process.ts <lake dir> <database file> [threads]');
  process.exit(2);
}
const threads = Number(threadsArgument ?? 2);
rmSync(databaseFile, { force: true });
rmSync(`${databaseFile}.wal`, { force: true });
const source = (topic: string) =>
  `read_parquet('${lakeDir.replaceAll("'", "''")}/events/${topic}/*/*.parquet', hive_partitioning = false)`;
const instance = await DuckDBInstance.create(databaseFile, { threads: String(threads) });
const connection = await instance.connect();
const version = String((await connection.runAndReadAll('SELECT version()')).getRows()[0]?.[0]);
const seconds: Record<string, number> = {};
for (const [name, sql] of Object.entries(
  ceilingSql({ http: source('http_logs'), sensors: source('sensor_readings') }),
)) {
  const started = performance.now();
  await connection.run(`CREATE TABLE ${name} AS ${sql}`);
  seconds[name] = (performance.now() - started) / 1000;
}
connection.closeSync();
instance.closeSync();
const result: DuckDbSqlResult = { version, threads };
console.log(resultLine(result));

// Outside the measured time: the rows and count totals of each table, then the same line with them.
const reader = await DuckDBInstance.create(databaseFile, { access_mode: 'READ_ONLY' });
const check = await reader.connect();
const views: ViewTotals[] = [];
for (const [name, { column }] of Object.entries(VIEW_COUNTS)) {
  const [row] = (
    await check.runAndReadAll(`SELECT count(*)::BIGINT, sum("${column}")::BIGINT FROM ${name}`)
  ).getRows();
  views.push({ name, rows: Number(row?.[0]), total: Number(row?.[1]), seconds: seconds[name] ?? 0 });
}
check.closeSync();
reader.closeSync();
console.log(`${TABLES_PREFIX}${JSON.stringify(views)}`);
