import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors.ts';
import { LocalFileSystem } from '../storage/local-file-system.ts';
import type { ParquetCodec } from './codecs.ts';
import { readParquetInfo, readParquetRows } from './reader.ts';
import { defineParquetSchema, type InputRowOf } from './schema.ts';
import { ParquetFileWriter, writeParquet } from './writer.ts';

const everyType = defineParquetSchema([
  { name: 's', type: 'string' },
  { name: 'i32', type: 'int32' },
  { name: 'i64', type: 'int64' },
  { name: 'd', type: 'double' },
  { name: 'b', type: 'boolean' },
  { name: 'ts', type: 'timestamp' },
  { name: 'os', type: 'string', optional: true },
  { name: 'oi32', type: 'int32', optional: true },
  { name: 'oi64', type: 'int64', optional: true },
  { name: 'od', type: 'double', optional: true },
  { name: 'ob', type: 'boolean', optional: true },
  { name: 'ots', type: 'timestamp', optional: true },
] as const);

type EveryTypeRow = InputRowOf<typeof everyType.fields>;

let directory: string;
let fs: LocalFileSystem;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'oxbow-parquet-'));
  fs = new LocalFileSystem(pathToFileURL(directory).href);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const someRows: EveryTypeRow[] = [
  {
    s: 'héllo, wörld ✓',
    i32: -2147483648,
    i64: -(2n ** 63n),
    d: -0.5,
    b: true,
    ts: new Date('2025-01-01T00:00:00.001Z'),
    os: 'x',
    oi32: 2147483647,
    oi64: 2n ** 63n - 1n,
    od: Number.MAX_VALUE,
    ob: false,
    ots: '2025-06-30T12:34:56.789Z',
  },
  {
    s: '',
    i32: 0,
    i64: 0,
    d: Number.NaN,
    b: false,
    ts: 0,
    os: null,
    oi32: null,
    oi64: null,
    od: null,
    ob: null,
    ots: null,
  },
  { s: 'only required', i32: 7, i64: 9007199254740993n, d: 1e-300, b: true, ts: '1970-01-01T00:00:00Z' },
];

describe('writeParquet', () => {
  it('round-trips every column type, nulls and missing optional values included', async () => {
    await writeParquet(fs, 'types.parquet', everyType, someRows);
    const rows = await readParquetRows(fs, 'types.parquet', { schema: everyType });
    expect(rows).toEqual([
      {
        s: 'héllo, wörld ✓',
        i32: -2147483648,
        i64: -(2n ** 63n),
        d: -0.5,
        b: true,
        ts: new Date('2025-01-01T00:00:00.001Z'),
        os: 'x',
        oi32: 2147483647,
        oi64: 2n ** 63n - 1n,
        od: Number.MAX_VALUE,
        ob: false,
        ots: new Date('2025-06-30T12:34:56.789Z'),
      },
      {
        s: '',
        i32: 0,
        i64: 0n,
        d: Number.NaN,
        b: false,
        ts: new Date(0),
        os: null,
        oi32: null,
        oi64: null,
        od: null,
        ob: null,
        ots: null,
      },
      {
        s: 'only required',
        i32: 7,
        i64: 9007199254740993n,
        d: 1e-300,
        b: true,
        ts: new Date(0),
        os: null,
        oi32: null,
        oi64: null,
        od: null,
        ob: null,
        ots: null,
      },
    ]);
  });

  it('round-trips arbitrary rows (property)', async () => {
    const row = fc.record({
      s: fc.string({ unit: 'grapheme' }),
      i32: fc.integer(),
      i64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      d: fc.double({ noNaN: true }),
      b: fc.boolean(),
      ts: fc.date({ min: new Date(-1e14), max: new Date(1e14), noInvalidDate: true }),
      os: fc.option(fc.string(), { nil: null }),
      oi32: fc.option(fc.integer(), { nil: null }),
      oi64: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
      od: fc.option(fc.double({ noNaN: true }), { nil: null }),
      ob: fc.option(fc.boolean(), { nil: null }),
      ots: fc.option(fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }), { nil: null }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        async (rows, groupRows) => {
          const path = `property/${run++}.parquet`;
          await writeParquet(fs, path, everyType, rows, { rowGroupRows: groupRows, codec: 'snappy' });
          expect(await readParquetRows(fs, path, { schema: everyType })).toEqual(rows);
        },
      ),
      { numRuns: 25 },
    );
  });

  it.each<ParquetCodec>(['zstd', 'snappy', 'gzip', 'uncompressed'])(
    'writes pages compressed with %s',
    async (codec) => {
      const rows = someRows.slice(0, 2);
      await writeParquet(fs, `codec-${codec}.parquet`, everyType, rows, { codec });
      const info = await readParquetInfo(fs, `codec-${codec}.parquet`);
      expect(info.rowGroups.flatMap((group) => group.codecs)).toEqual([codec.toUpperCase()]);
      expect(await readParquetRows(fs, `codec-${codec}.parquet`)).toHaveLength(2);
    },
  );

  it('cuts row groups of rowGroupRows rows and keeps footer metadata', async () => {
    const schema = defineParquetSchema([{ name: 'n', type: 'int32' }] as const);
    const rows = Array.from({ length: 2500 }, (_, n) => ({ n }));
    const summary = await writeParquet(fs, 'groups.parquet', schema, rows, {
      rowGroupRows: 1000,
      metadata: { 'oxbow.epoch': '42' },
    });
    expect(summary).toMatchObject({ rows: 2500, rowGroups: 3 });
    const info = await readParquetInfo(fs, 'groups.parquet');
    expect(info.rowGroups.map((group) => group.rows)).toEqual([1000, 1000, 500]);
    expect(info.metadata['oxbow.epoch']).toBe('42');
    expect((await readParquetRows(fs, 'groups.parquet')).map((row) => row.n)).toEqual(
      rows.map((row) => row.n),
    );
  });

  it('accepts rows from an async iterable', async () => {
    const schema = defineParquetSchema([{ name: 'n', type: 'int64' }] as const);
    async function* numbers() {
      for (let n = 0; n < 25_000; n++) yield { n: BigInt(n) };
    }
    const summary = await writeParquet(fs, 'async.parquet', schema, numbers(), { rowGroupRows: 10_000 });
    expect(summary.rows).toBe(25_000);
    const rows = await readParquetRows(fs, 'async.parquet');
    expect(rows.at(-1)).toEqual({ n: 24_999n });
  });

  it('rejects a row that does not fit the schema, and leaves no file behind', async () => {
    const schema = defineParquetSchema([
      { name: 'status', type: 'int32' },
      { name: 'host', type: 'string' },
    ] as const);
    const bad = [
      { status: 200, host: 'a' },
      { status: 2.5, host: 'b' },
    ];
    const error = await writeParquet(fs, 'bad/rows.parquet', schema, bad).catch((e: unknown) => e);
    expect(ConnectorError.is(error, 'OXBOW_PARQUET_SCHEMA')).toBe(true);
    expect((error as Error).message).toContain('"status"');
    const missing = [{ status: 1 }] as unknown as { status: number; host: string }[];
    await expect(writeParquet(fs, 'bad/rows.parquet', schema, missing)).rejects.toThrow(
      /required column "host"/,
    );
    expect(await fs.exists('bad/rows.parquet')).toBe(false);
    const left: string[] = [];
    for await (const file of fs.list('bad/')) left.push(file.path);
    expect(left).toEqual([]);
  });

  it('makes the file visible only on close, and abort leaves nothing', async () => {
    const schema = defineParquetSchema([{ name: 'n', type: 'int32' }] as const);
    const writer = ParquetFileWriter.open(fs, 'visible/late.parquet', schema, { rowGroupRows: 10 });
    await writer.write(Array.from({ length: 35 }, (_, n) => ({ n })));
    expect(await fs.exists('visible/late.parquet')).toBe(false);
    expect(await writer.close()).toMatchObject({ rows: 35, rowGroups: 4 });
    expect(await fs.exists('visible/late.parquet')).toBe(true);

    const aborted = ParquetFileWriter.open(fs, 'visible/never.parquet', schema, { rowGroupRows: 10 });
    await aborted.write(Array.from({ length: 15 }, (_, n) => ({ n })));
    await aborted.abort();
    expect(await fs.exists('visible/never.parquet')).toBe(false);
    await expect(aborted.write([{ n: 1 }])).rejects.toThrow(/aborted/);
  });
});
