/**
 * The `s3://` case of the batch benchmark: the cached lake's `events/` uploaded under a prefix of its own on the
 * local stack's S3 (S3Proxy, the `OXBOW_S3_*` settings or their defaults), and removed afterwards.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import { type BenchLake, lakeEventFiles } from './lake.ts';

/** The stack's S3 endpoint and credentials (the batch app's settings, with the stack's defaults). */
export const STACK_S3 = {
  endpoint: process.env.OXBOW_S3_ENDPOINT ?? `http://127.0.0.1:${process.env.OXBOW_S3_PORT ?? 29000}`,
  accessKey: process.env.OXBOW_S3_ACCESS_KEY ?? 'oxbow',
  secretKey: process.env.OXBOW_S3_SECRET_KEY ?? 'oxbow-secret',
  region: process.env.OXBOW_S3_REGION ?? 'us-east-1',
} as const;

/** The bucket (`lake`, as the stack's tests use, unless OXBOW_S3_BUCKET says otherwise). */
const BUCKET = process.env.OXBOW_S3_BUCKET ?? 'lake';

/** An uploaded copy of the lake. */
export interface S3Lake {
  /** `s3://<bucket>/<prefix>/` */
  readonly url: string;
  readonly seconds: number;
  /** Deletes everything under the prefix (the lake and the versions runs published there). */
  remove(): Promise<void>;
}

function open(url: string): FileSystem {
  return openFileSystem(url, {
    s3: {
      endpoint: STACK_S3.endpoint,
      region: STACK_S3.region,
      accessKeyId: STACK_S3.accessKey,
      secretAccessKey: STACK_S3.secretKey,
      forcePathStyle: true,
    },
  });
}

/**
 * Uploads the lake's Parquet files and `_sealed` markers under a new prefix, eight at a time.
 *
 * @example
 * ```ts
 * const s3 = await uploadLake(lake, `bench-batch-${process.pid}`);
 * try { … s3.url … } finally { await s3.remove(); }
 * ```
 */
export async function uploadLake(lake: BenchLake, prefix: string): Promise<S3Lake> {
  const url = `s3://${BUCKET}/${prefix}/`;
  const fs = open(url);
  const started = performance.now();
  try {
    const files = lakeEventFiles(lake);
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const file = files[next++] as string;
        await fs.putAtomic(file, readFileSync(join(lake.dir, file)));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    await fs.close();
  }
  return {
    url,
    seconds: (performance.now() - started) / 1000,
    async remove() {
      const cleanup = open(`s3://${BUCKET}/`);
      try {
        await cleanup.deletePrefix(`${prefix}/`);
      } finally {
        await cleanup.close();
      }
    },
  };
}
