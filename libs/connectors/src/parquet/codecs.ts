/**
 * Compression codecs for Parquet pages: Node's native zstd and gzip (node:zlib) for writing and reading,
 * hyparquet's built-in snappy, and hyparquet-compressors for what else other writers may have used
 * (LZ4, Brotli).
 */
import { gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import type { Compressors as Decompressors } from 'hyparquet';
import { compressors as extraDecompressors } from 'hyparquet-compressors';
import type { ParquetWriteOptions } from 'hyparquet-writer';

type Compressors = NonNullable<ParquetWriteOptions['compressors']>;

/** Codecs Oxbow writes. */
export type ParquetCodec = 'zstd' | 'snappy' | 'gzip' | 'uncompressed';

/** The Parquet name of a codec. */
export const PARQUET_CODEC_NAMES = {
  zstd: 'ZSTD',
  snappy: 'SNAPPY',
  gzip: 'GZIP',
  uncompressed: 'UNCOMPRESSED',
} as const satisfies Record<ParquetCodec, string>;

/** Page compressors for hyparquet-writer (snappy is built in). */
export const PAGE_COMPRESSORS: Compressors = {
  ZSTD: (input) => zstdCompressSync(input),
  GZIP: (input) => gzipSync(input),
};

/** Page decompressors for hyparquet (snappy is built in). */
export const PAGE_DECOMPRESSORS: Decompressors = {
  ...extraDecompressors,
  ZSTD: (input) => zstdDecompressSync(input),
  GZIP: (input) => gunzipSync(input),
};
