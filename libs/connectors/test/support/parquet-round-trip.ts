/**
 * The Parquet round trip on a remote backend: master-dataset rows written through the FileSystem (so the
 * upload path and atomic publication are exercised) and read back whole and by byte ranges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquet, readParquetInfo, readParquetRows } from '../../src/parquet/reader.ts';
import { ParquetFileWriter, writeParquet } from '../../src/parquet/writer.ts';
import type { FileSystem } from '../../src/storage/file-system.ts';
import type { FileSystemFactory } from './file-system-conformance.ts';
import { generateHttpLogRows, HTTP_LOG_SCHEMA } from './http-log-rows.ts';

/** Declares the Parquet round-trip tests for one backend. */
export function describeParquetRoundTrip(name: string, factory: FileSystemFactory): void {
  describe(`Parquet round trip: ${name}`, () => {
    let fs: FileSystem;
    const rows = generateHttpLogRows(30_000, 7);

    beforeAll(async () => {
      fs = await factory();
    });

    afterAll(async () => {
      if (fs === undefined) return;
      await fs.deletePrefix('');
      await fs.close();
    });

    it('writes master-dataset rows in row groups and reads them back, whole and by ranges', async () => {
      const summary = await writeParquet(fs, 'epoch=1/p0-0-29999.parquet', HTTP_LOG_SCHEMA, rows, {
        codec: 'zstd',
        rowGroupRows: 10_000,
      });
      expect(summary).toMatchObject({ rows: 30_000, rowGroups: 3 });
      expect((await fs.stat('epoch=1/p0-0-29999.parquet')).size).toBe(summary.bytes);
      const info = await readParquetInfo(fs, 'epoch=1/p0-0-29999.parquet');
      expect(info.rowGroups.map((group) => group.rows)).toEqual([10_000, 10_000, 10_000]);
      expect(await readParquetRows(fs, 'epoch=1/p0-0-29999.parquet', { schema: HTTP_LOG_SCHEMA })).toEqual(
        rows,
      );

      let count = 0;
      let statusSum = 0;
      for await (const row of readParquet(fs, 'epoch=1/p0-0-29999.parquet', {
        schema: HTTP_LOG_SCHEMA,
        columns: ['status'],
        wholeFileBelowBytes: 0,
      })) {
        count++;
        statusSum += row.status;
      }
      expect(count).toBe(rows.length);
      expect(statusSum).toBe(rows.reduce((sum, row) => sum + row.status, 0));
    });

    it('publishes the file only when the writer closes', async () => {
      const writer = ParquetFileWriter.open(fs, 'epoch=2/p1.parquet', HTTP_LOG_SCHEMA, {
        rowGroupRows: 5_000,
      });
      await writer.write(rows.slice(0, 12_000));
      expect(await fs.exists('epoch=2/p1.parquet')).toBe(false);
      await writer.close();
      expect((await readParquetInfo(fs, 'epoch=2/p1.parquet')).rows).toBe(12_000);
    });
  });
}
