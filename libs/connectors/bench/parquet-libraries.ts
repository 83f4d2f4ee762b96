/**
 * Measures write and read throughput of the Parquet libraries Oxbow could use, on master-dataset rows
 * (HTTP-log events + Kafka metadata). Figures go to docs/decisions/0003-parquet-library.md.
 *
 * Run: `node_modules/.bin/node libs/connectors/bench/parquet-libraries.ts [rows=300000] [repeats=2]`
 * The last two cases measure Oxbow's own API (hyparquet underneath, plus row validation and conversion).
 * Each case runs `repeats` times and the best time is kept (the machine is shared, so the best run is the
 * least disturbed one). DuckDB is limited to one thread so every library gets the same single core.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import {
  DuckDBConnection,
  DuckDBInstance,
  type DuckDBTimestampMillisecondsValue,
  timestampMillisValue,
} from '@duckdb/node-api';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';
import { readParquet } from '../src/parquet/reader.ts';
import { writeParquet } from '../src/parquet/writer.ts';
import { LocalFileSystem } from '../src/storage/local-file-system.ts';
import { generateHttpLogRows, HTTP_LOG_SCHEMA, type HttpLogRow } from '../test/support/http-log-rows.ts';

interface ParquetjsWriter {
  appendRow(row: Record<string, unknown>): Promise<void>;
  setRowGroupSize(rows: number): void;
  close(): Promise<void>;
}
interface ParquetjsCursor {
  next(): Promise<Record<string, unknown> | null>;
}
interface ParquetjsModule {
  ParquetSchema: new (fields: Record<string, unknown>) => unknown;
  ParquetWriter: { openFile(schema: unknown, path: string): Promise<ParquetjsWriter> };
  ParquetReader: {
    openFile(path: string): Promise<{ getCursor(): ParquetjsCursor; close(): Promise<void> }>;
  };
}

const require = createRequire(import.meta.url);
const parquetjs = require('parquetjs-lite') as ParquetjsModule;

const ROW_GROUP_ROWS = 100_000;
const rowCount = Number(process.argv[2] ?? 300_000);
const repeats = Number(process.argv[3] ?? 2);

interface Case {
  library: string;
  direction: 'write' | 'read';
  codec: string;
  file: string;
  run(): Promise<number>;
}

async function best(task: () => Promise<number>): Promise<{ millis: number; rows: number }> {
  let millis = Number.POSITIVE_INFINITY;
  let rows = 0;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    rows = await task();
    millis = Math.min(millis, performance.now() - start);
  }
  return { millis, rows };
}

/**
 * parquetjs-lite cannot read back its own TIMESTAMP_MILLIS columns on Node 24 (its statistics decoder
 * turns an INT64 into a BigInt and then calls `+value`), so `timestampsAsInt64` stores them as plain INT64
 * milliseconds to get a read figure at all.
 */
async function writeParquetjs(rows: HttpLogRow[], file: string, timestampsAsInt64 = false): Promise<number> {
  const optional = (type: string) => ({ type, optional: true, compression: 'SNAPPY' });
  const required = (type: string) => ({ type, compression: 'SNAPPY' });
  const timestamp = timestampsAsInt64 ? 'INT64' : 'TIMESTAMP_MILLIS';
  const schema = new parquetjs.ParquetSchema({
    ts: required(timestamp),
    host: required('UTF8'),
    method: required('UTF8'),
    path: required('UTF8'),
    status: required('INT32'),
    bytes: required('INT32'),
    latencyMs: required('DOUBLE'),
    userId: optional('UTF8'),
    country: required('UTF8'),
    userAgent: required('UTF8'),
    partition: required('INT32'),
    offset: required('INT64'),
    appendTime: required(timestamp),
  });
  const writer = await parquetjs.ParquetWriter.openFile(schema, file);
  writer.setRowGroupSize(ROW_GROUP_ROWS);
  for (const row of rows) {
    const { userId, offset, ts, appendTime, ...rest } = row;
    const times = timestampsAsInt64
      ? { ts: ts.getTime(), appendTime: appendTime.getTime() }
      : { ts, appendTime };
    await writer.appendRow({
      ...rest,
      ...times,
      ...(userId === null ? {} : { userId }),
      offset: Number(offset),
    });
  }
  await writer.close();
  return rows.length;
}

async function readParquetjs(file: string): Promise<number> {
  const reader = await parquetjs.ParquetReader.openFile(file);
  const cursor = reader.getCursor();
  let count = 0;
  while (await cursor.next()) count++;
  await reader.close();
  return count;
}

function writeHyparquet(rows: HttpLogRow[], file: string, codec: 'SNAPPY' | 'ZSTD'): Promise<number> {
  const column = <K extends keyof HttpLogRow>(name: K) => rows.map((row) => row[name]);
  parquetWriteFile({
    filename: file,
    codec,
    compressors: { ZSTD: (input) => zstdCompressSync(input) },
    rowGroupSize: ROW_GROUP_ROWS,
    columnData: [
      { name: 'ts', data: column('ts'), type: 'TIMESTAMP', nullable: false },
      { name: 'host', data: column('host'), type: 'STRING', nullable: false },
      { name: 'method', data: column('method'), type: 'STRING', nullable: false },
      { name: 'path', data: column('path'), type: 'STRING', nullable: false },
      { name: 'status', data: Int32Array.from(column('status')), type: 'INT32', nullable: false },
      { name: 'bytes', data: Int32Array.from(column('bytes')), type: 'INT32', nullable: false },
      { name: 'latencyMs', data: Float64Array.from(column('latencyMs')), type: 'DOUBLE', nullable: false },
      { name: 'userId', data: column('userId'), type: 'STRING' },
      { name: 'country', data: column('country'), type: 'STRING', nullable: false },
      { name: 'userAgent', data: column('userAgent'), type: 'STRING', nullable: false },
      { name: 'partition', data: Int32Array.from(column('partition')), type: 'INT32', nullable: false },
      { name: 'offset', data: BigInt64Array.from(column('offset')), type: 'INT64', nullable: false },
      { name: 'appendTime', data: column('appendTime'), type: 'TIMESTAMP', nullable: false },
    ],
  });
  return Promise.resolve(rows.length);
}

async function readHyparquet(file: string): Promise<number> {
  const rows = await parquetReadObjects({
    file: await asyncBufferFromFile(file),
    compressors: { ZSTD: (input) => zstdDecompressSync(input) },
  });
  return rows.length;
}

const DUCKDB_TABLE = `CREATE OR REPLACE TABLE events (ts TIMESTAMP_MS, host VARCHAR, method VARCHAR, path VARCHAR,
  status INTEGER, bytes INTEGER, latencyMs DOUBLE, userId VARCHAR, country VARCHAR, userAgent VARCHAR,
  partition INTEGER, "offset" BIGINT, appendTime TIMESTAMP_MS)`;

async function duckdbConnection(): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  return DuckDBConnection.create(instance);
}

async function writeDuckdb(rows: HttpLogRow[], file: string, codec: 'SNAPPY' | 'ZSTD'): Promise<number> {
  const connection = await duckdbConnection();
  await connection.run(DUCKDB_TABLE);
  const appender = await connection.createAppender('events');
  const millis = (date: Date): DuckDBTimestampMillisecondsValue =>
    timestampMillisValue(BigInt(date.getTime()));
  for (const row of rows) {
    appender.appendTimestampMilliseconds(millis(row.ts));
    appender.appendVarchar(row.host);
    appender.appendVarchar(row.method);
    appender.appendVarchar(row.path);
    appender.appendInteger(row.status);
    appender.appendInteger(row.bytes);
    appender.appendDouble(row.latencyMs);
    if (row.userId === null) appender.appendNull();
    else appender.appendVarchar(row.userId);
    appender.appendVarchar(row.country);
    appender.appendVarchar(row.userAgent);
    appender.appendInteger(row.partition);
    appender.appendBigInt(row.offset);
    appender.appendTimestampMilliseconds(millis(row.appendTime));
    appender.endRow();
  }
  appender.closeSync();
  await connection.run(
    `COPY events TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`,
  );
  connection.closeSync();
  return rows.length;
}

async function readDuckdb(file: string): Promise<number> {
  const connection = await duckdbConnection();
  const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${file}')`);
  const rows = reader.getRowObjectsJS();
  connection.closeSync();
  return rows.length;
}

async function writeOxbow(fs: LocalFileSystem, rows: HttpLogRow[], path: string): Promise<number> {
  const summary = await writeParquet(fs, path, HTTP_LOG_SCHEMA, rows, {
    codec: 'zstd',
    rowGroupRows: ROW_GROUP_ROWS,
  });
  return summary.rows;
}

async function readOxbow(fs: LocalFileSystem, path: string): Promise<number> {
  let count = 0;
  for await (const _row of readParquet(fs, path, { schema: HTTP_LOG_SCHEMA })) count++;
  return count;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oxbow-parquet-bench-'));
  try {
    const rows = generateHttpLogRows(rowCount);
    const file = (name: string) => join(dir, `${name}.parquet`);
    const fs = new LocalFileSystem(pathToFileURL(dir).href);
    const one = (
      library: string,
      direction: Case['direction'],
      codec: string,
      name: string,
      run: () => Promise<number>,
    ): Case => ({
      library,
      direction,
      codec,
      file: file(name),
      run,
    });
    const cases: Case[] = [
      one('parquetjs-lite', 'write', 'SNAPPY', 'pjs', () => writeParquetjs(rows, file('pjs'))),
      one('parquetjs-lite (ts as INT64)', 'write', 'SNAPPY', 'pjs64', () =>
        writeParquetjs(rows, file('pjs64'), true),
      ),
      one('hyparquet-writer', 'write', 'SNAPPY', 'hyp-snappy', () =>
        writeHyparquet(rows, file('hyp-snappy'), 'SNAPPY'),
      ),
      one('hyparquet-writer', 'write', 'ZSTD', 'hyp-zstd', () =>
        writeHyparquet(rows, file('hyp-zstd'), 'ZSTD'),
      ),
      one('duckdb appender+COPY', 'write', 'SNAPPY', 'duck-snappy', () =>
        writeDuckdb(rows, file('duck-snappy'), 'SNAPPY'),
      ),
      one('duckdb appender+COPY', 'write', 'ZSTD', 'duck-zstd', () =>
        writeDuckdb(rows, file('duck-zstd'), 'ZSTD'),
      ),
      one('oxbow writeParquet (file://)', 'write', 'ZSTD', 'oxbow', () =>
        writeOxbow(fs, rows, 'oxbow.parquet'),
      ),
      one('parquetjs-lite', 'read', 'SNAPPY', 'pjs', () => readParquetjs(file('pjs'))),
      one('parquetjs-lite (ts as INT64)', 'read', 'SNAPPY', 'pjs64', () => readParquetjs(file('pjs64'))),
      one('hyparquet', 'read', 'SNAPPY', 'hyp-snappy', () => readHyparquet(file('hyp-snappy'))),
      one('hyparquet', 'read', 'ZSTD', 'hyp-zstd', () => readHyparquet(file('hyp-zstd'))),
      one('hyparquet (DuckDB file)', 'read', 'ZSTD', 'duck-zstd', () => readHyparquet(file('duck-zstd'))),
      one('duckdb read_parquet', 'read', 'SNAPPY', 'duck-snappy', () => readDuckdb(file('duck-snappy'))),
      one('duckdb read_parquet', 'read', 'ZSTD', 'duck-zstd', () => readDuckdb(file('duck-zstd'))),
      one('duckdb read_parquet (hyparquet file)', 'read', 'ZSTD', 'hyp-zstd', () =>
        readDuckdb(file('hyp-zstd')),
      ),
      one('oxbow readParquet (file://)', 'read', 'ZSTD', 'oxbow', () => readOxbow(fs, 'oxbow.parquet')),
    ];
    console.log(`rows=${rowCount} repeats=${repeats} rowGroup=${ROW_GROUP_ROWS} node=${process.version}`);
    console.log('| library | direction | codec | rows/s | ms | file MiB |');
    console.log('| --- | --- | --- | ---: | ---: | ---: |');
    for (const c of cases) {
      let outcome: { millis: number; rows: number };
      try {
        outcome = await best(c.run);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        console.log(`| ${c.library} | ${c.direction} | ${c.codec} | failed: ${message.split('\n')[0]} | | |`);
        continue;
      }
      const { millis, rows: done } = outcome;
      if (done !== rowCount)
        throw new Error(`${c.library} ${c.direction} handled ${done} rows, expected ${rowCount}`);
      const mib = statSync(c.file).size / 2 ** 20;
      const rate = Math.round((rowCount / millis) * 1000);
      console.log(
        `| ${c.library} | ${c.direction} | ${c.codec} | ${rate.toLocaleString('en')} | ${Math.round(millis)} | ${mib.toFixed(1)} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
