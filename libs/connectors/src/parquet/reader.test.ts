import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors.ts';
import { LocalFileSystem } from '../storage/local-file-system.ts';
import { readParquet, readParquetInfo, readParquetRows } from './reader.ts';
import { defineParquetSchema } from './schema.ts';
import { writeParquet } from './writer.ts';

const v1 = defineParquetSchema([
  { name: 'ts', type: 'timestamp' },
  { name: 'host', type: 'string' },
  { name: 'status', type: 'int32' },
] as const);

const v2 = defineParquetSchema([
  ...v1.fields,
  { name: 'country', type: 'string', optional: true },
  { name: 'latencyMs', type: 'double', optional: true },
] as const);

let directory: string;
let fs: LocalFileSystem;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'oxbow-parquet-read-'));
  fs = new LocalFileSystem(pathToFileURL(directory).href);
  const t = new Date('2025-03-01T10:00:00Z');
  await writeParquet(fs, 'v1.parquet', v1, [
    { ts: t, host: 'web-1', status: 200 },
    { ts: t, host: 'web-2', status: 404 },
  ]);
  await writeParquet(fs, 'v2.parquet', v2, [
    { ts: t, host: 'web-3', status: 500, country: 'DE', latencyMs: 1.5 },
  ]);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('readParquet', () => {
  it('reads an older file with a newer schema: new optional columns are undefined', async () => {
    const old = await readParquetRows(fs, 'v1.parquet', { schema: v2 });
    expect(old).toHaveLength(2);
    expect(old[0]).toMatchObject({ host: 'web-1', status: 200 });
    expect(old[0]?.country).toBeUndefined();
    expect(old[0]?.latencyMs).toBeUndefined();
    expect('country' in (old[0] ?? {})).toBe(true);
    const recent = await readParquetRows(fs, 'v2.parquet', { schema: v2 });
    expect(recent).toEqual([
      { ts: new Date('2025-03-01T10:00:00Z'), host: 'web-3', status: 500, country: 'DE', latencyMs: 1.5 },
    ]);
  });

  it('reads a newer file with an older schema (extra columns are ignored)', async () => {
    expect(await readParquetRows(fs, 'v2.parquet', { schema: v1 })).toEqual([
      { ts: new Date('2025-03-01T10:00:00Z'), host: 'web-3', status: 500 },
    ]);
  });

  it('projects columns', async () => {
    expect(await readParquetRows(fs, 'v1.parquet', { columns: ['status'] })).toEqual([
      { status: 200 },
      { status: 404 },
    ]);
    expect(await readParquetRows(fs, 'v1.parquet', { schema: v2, columns: ['country'] })).toEqual([
      { country: undefined },
      { country: undefined },
    ]);
  });

  it('refuses a missing required column, a type mismatch and an unknown column', async () => {
    const needsCountry = defineParquetSchema([{ name: 'country', type: 'string' }] as const);
    const statusAsString = defineParquetSchema([{ name: 'status', type: 'string' }] as const);
    const codeOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (e: unknown) => (ConnectorError.is(e) ? e.code : String(e)),
      );
    expect(await codeOf(readParquetRows(fs, 'v1.parquet', { schema: needsCountry }))).toBe(
      'OXBOW_PARQUET_SCHEMA',
    );
    expect(await codeOf(readParquetRows(fs, 'v1.parquet', { schema: statusAsString }))).toBe(
      'OXBOW_PARQUET_SCHEMA',
    );
    expect(await codeOf(readParquetRows(fs, 'v1.parquet', { columns: ['nope'] }))).toBe(
      'OXBOW_PARQUET_SCHEMA',
    );
    expect(await codeOf(readParquetRows(fs, 'missing.parquet'))).toBe('OXBOW_STORAGE_NOT_FOUND');
    await fs.putAtomic('garbage.parquet', new TextEncoder().encode('not parquet at all'));
    expect(await codeOf(readParquetRows(fs, 'garbage.parquet'))).toBe('OXBOW_PARQUET_IO');
  });

  it('reads by byte ranges the same rows as from a whole-file read', async () => {
    const schema = defineParquetSchema([
      { name: 'n', type: 'int64' },
      { name: 'label', type: 'string' },
    ] as const);
    const rows = Array.from({ length: 5000 }, (_, i) => ({ n: BigInt(i), label: `row-${i % 97}` }));
    await writeParquet(fs, 'ranged.parquet', schema, rows, { rowGroupRows: 1200 });
    const ranged: unknown[] = [];
    for await (const row of readParquet(fs, 'ranged.parquet', { wholeFileBelowBytes: 0 })) ranged.push(row);
    expect(ranged).toEqual(rows);
  });

  it('exchanges files with DuckDB both ways (types, nulls, timestamps)', async () => {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const duck = await DuckDBConnection.create(instance);
    try {
      const ours = join(directory, 'v2.parquet');
      const fromOurs = await duck.runAndReadAll(
        `SELECT host, status, country, latencyMs, epoch_ms(ts) AS ms FROM read_parquet('${ours}')`,
      );
      expect(fromOurs.getRowObjectsJS()).toEqual([
        {
          host: 'web-3',
          status: 500,
          country: 'DE',
          latencyMs: 1.5,
          ms: BigInt(Date.parse('2025-03-01T10:00:00Z')),
        },
      ]);
      const theirs = join(directory, 'duckdb.parquet');
      await duck.run(
        `COPY (SELECT TIMESTAMP '2025-03-01 10:00:00.123' AS ts, 'web-9' AS host, 201::INTEGER AS status,
                      NULL::VARCHAR AS country, 2.25::DOUBLE AS latencyMs)
         TO '${theirs}' (FORMAT parquet, COMPRESSION zstd)`,
      );
      expect(await readParquetRows(fs, 'duckdb.parquet', { schema: v2 })).toEqual([
        {
          ts: new Date('2025-03-01T10:00:00.123Z'),
          host: 'web-9',
          status: 201,
          country: null,
          latencyMs: 2.25,
        },
      ]);
      expect((await readParquetInfo(fs, 'duckdb.parquet')).rows).toBe(1);
    } finally {
      duck.closeSync();
      instance.closeSync();
    }
  });
});
