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
