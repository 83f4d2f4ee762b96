import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors.ts';
import { LocalFileSystem } from '../storage/local-file-system.ts';
import { ColumnBatchBuilder } from './column-batch.ts';
import { ParquetEncoder } from './parquet-encoder.ts';
import { readParquetRows } from './reader.ts';
import { defineParquetSchema } from './schema.ts';

const schema = defineParquetSchema([
  { name: 'ts', type: 'timestamp' },
  { name: 'host', type: 'string' },
  { name: 'status', type: 'int32' },
  { name: 'bytes', type: 'int64' },
  { name: 'latencyMs', type: 'double' },
  { name: 'cached', type: 'boolean', optional: true },
  { name: 'userId', type: 'string', optional: true },
  { name: 'size', type: 'int32', optional: true },
  { name: 'offset', type: 'int64' },
] as const);

let directory: string;
let fs: LocalFileSystem;
const encoder = new ParquetEncoder();

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'oxbow-parquet-encoder-'));
  fs = new LocalFileSystem(pathToFileURL(directory).href);
});

afterAll(async () => {
  await encoder.close();
  await rm(directory, { recursive: true, force: true });
});

describe('ColumnBatchBuilder', () => {
  it('rejects values of the wrong type and nulls in required columns', () => {
    const builder = new ColumnBatchBuilder(schema, 4);
    const [ts, host, status] = builder.columns;
    expect(() => status?.push(1.5)).toThrow(ConnectorError);
    expect(() => status?.push(2 ** 31)).toThrow(/cannot hold/);
    expect(() => host?.push(null)).toThrow(/host/);
    expect(() => ts?.push('not a date')).toThrow(/ts/);
  });

  it('keeps int64 exact beyond 2^53 and grows past its initial capacity', () => {
    const small = defineParquetSchema([{ name: 'offset', type: 'int64' }] as const);
    const builder = new ColumnBatchBuilder(small, 2);
    const values = [1n, 2n ** 60n, 3, -(2n ** 62n), 5n];
    for (const value of values) builder.append({ offset: value });
    const batch = builder.take();
    expect(batch.rows).toBe(5);
    const [column] = batch.columns;
    expect(column?.kind === 'int64' && [...column.values]).toEqual([1n, 2n ** 60n, 3n, -(2n ** 62n), 5n]);
    builder.append({ offset: 7 });
    expect(builder.take().columns[0]).toMatchObject({ kind: 'int64', values: new Float64Array([7]) });
  });
});

describe('ParquetEncoder', () => {
  it('encodes row groups in a worker into a file readParquet reads back exactly', async () => {
    const row = fc.record({
      ts: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      host: fc.constantFrom('web-1', 'web-2', 'web-3'),
      status: fc.integer({ min: 100, max: 599 }),
      bytes: fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.integer()),
      latencyMs: fc.double({ noNaN: true }),
      cached: fc.option(fc.boolean()),
      userId: fc.option(fc.string()),
      size: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
      offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 120 }),
        async (rows, groupRows) => {
          const file = encoder.open(schema);
          const builder = new ColumnBatchBuilder(schema, groupRows);
          for (const input of rows) {
            builder.append(input);
            if (builder.rows >= groupRows) file.writeRowGroup(builder.take());
          }
          file.writeRowGroup(builder.take());
          const encoded = await file.finish();
          expect(encoded.rows).toBe(rows.length);
          expect(encoded.rowGroups).toBe(Math.ceil(rows.length / groupRows));
          await fs.putAtomic('encoded.parquet', encoded.bytes);
          const back = await readParquetRows(fs, 'encoded.parquet', { schema });
          expect(back).toEqual(
            rows.map((input) => ({
              ...input,
              ts: new Date(input.ts),
              bytes: BigInt(input.bytes),
              latencyMs: Object.is(input.latencyMs, -0) ? -0 : input.latencyMs,
            })),
          );
        },
      ),
      { numRuns: 25 },
    );
  });

  it('fails a file whose worker rejected a row group, and keeps encoding others', async () => {
    const file = encoder.open(schema);
    // A batch whose columns do not match the schema (hand-made, as only a bug would make it).
    file.writeRowGroup({ rows: 1, columns: [] });
    await expect(file.finish()).rejects.toThrow(/Parquet encoding failed/);
    const other = encoder.open(defineParquetSchema([{ name: 'n', type: 'int32' }] as const));
    const builder = new ColumnBatchBuilder(other.schema, 1);
    builder.append({ n: 1 });
    other.writeRowGroup(builder.take());
    await expect(other.finish()).resolves.toMatchObject({ rows: 1, rowGroups: 1 });
    await encoder.drained(0);
    expect(encoder.queuedRowGroups).toBe(0);
  });

  it('aborts a file without writing anything', async () => {
    const file = encoder.open(schema);
    file.abort();
    await expect(file.finish()).rejects.toThrow(/aborted/);
  });
});

describe('ParquetEncoder with a row decoder', () => {
  const decoded = defineParquetSchema([
    { name: 'n', type: 'int32' },
    { name: 'offset', type: 'int64' },
  ] as const);

  it('decodes raw records in the thread, reports rejections, and files take the staged rows in order', async () => {
    const withDecoder = new ParquetEncoder({
      threads: 2,
      decoder: { module: new URL('../../test/fixtures/json-row-decoder.ts', import.meta.url), init: {} },
    });
    try {
      const texts = ['{"n":1}', 'not json', '{"n":2}', '{"n":"x"}', '{"n":3}', '{"n":4}', '{"n":5}'];
      const verdicts = await withDecoder.decode({
        topic: 't',
        partition: 0,
        values: texts.map((text) => Buffer.from(text)),
        offsets: texts.map((_, i) => 100 + i),
        timestamps: texts.map(() => 0),
      });
      expect([...verdicts.rejected]).toEqual([1, 3]);
      expect(verdicts.reasons[1]).toBe('n: expected an integer, got "x"');
      // Two files of the stream: the first takes 2 valid rows, the second the other 3 (row groups of 2).
      const first = withDecoder.open(decoded, { affinity: 't:0', rowGroupRows: 2 });
      first.take('t:0', 2);
      const second = withDecoder.open(decoded, { affinity: 't:0', rowGroupRows: 2 });
      second.take('t:0', 3);
      const [a, b] = await Promise.all([first.finish(), second.finish()]);
      expect([a.rows, a.rowGroups, b.rows, b.rowGroups]).toEqual([2, 1, 3, 2]);
      await fs.putAtomic('a.parquet', a.bytes);
      await fs.putAtomic('b.parquet', b.bytes);
      expect(await readParquetRows(fs, 'a.parquet', { schema: decoded })).toEqual([
        { n: 1, offset: 100n },
        { n: 2, offset: 102n },
      ]);
      expect(await readParquetRows(fs, 'b.parquet', { schema: decoded })).toEqual([
        { n: 3, offset: 104n },
        { n: 4, offset: 105n },
        { n: 5, offset: 106n },
      ]);
      // Skipped rows are never taken; taking more than is staged fails the file.
      await withDecoder.decode({
        topic: 't',
        partition: 0,
        values: [Buffer.from('{"n":6}')],
        offsets: [107],
        timestamps: [0],
      });
      withDecoder.skip('t:0', 1);
      const third = withDecoder.open(decoded, { affinity: 't:0' });
      third.take('t:0', 1);
      await expect(third.finish()).rejects.toThrow(/1 rows of t:0, 0 were staged/);
    } finally {
      await withDecoder.close();
    }
  });

  it('fails a decode when the encoder has no decoder, and a file whose rows the decoder cannot append', async () => {
    await expect(
      encoder.decode({
        topic: 't',
        partition: 1,
        values: [Buffer.from('{}')],
        offsets: [0],
        timestamps: [0],
      }),
    ).rejects.toThrow(/no row decoder/);
    const failing = new ParquetEncoder({
      decoder: {
        module: new URL('../../test/fixtures/json-row-decoder.ts', import.meta.url),
        init: { failOn: 7 },
      },
    });
    try {
      await failing.decode({
        topic: 't',
        partition: 1,
        values: [Buffer.from('{"n":7}')],
        offsets: [0],
        timestamps: [0],
      });
      const file = failing.open(decoded, { affinity: 't:1' });
      file.take('t:1', 1);
      await expect(file.finish()).rejects.toThrow(/cannot append 7/);
    } finally {
      await failing.close();
    }
  });
});
