/**
 * `runLakeSql` on the stack's S3 (S3Proxy): the part files and the batch DuckDB file are downloaded and the
 * answers equal those of the same lake on `file://`.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LakeSqlOptions, openFileSystem, runLakeSql } from '../src/index.ts';
import type { S3FileSystem } from '../src/storage/s3-file-system.ts';
import { openStackS3, stackS3Options, TEST_BUCKET } from './support/s3-endpoint.ts';
import { SMALL_BINDINGS, SMALL_PROJECT, writeSmallLake } from './support/small-lake.ts';

const prefix = `lake-sql-${randomUUID()}`;
let s3: S3FileSystem;
let dir: string;
let local: string;
const s3Lake = `s3://${TEST_BUCKET}/${prefix}`;
const s3Settings = (() => {
  const options = stackS3Options();
  return {
    s3Endpoint: options.endpoint ?? '',
    s3Region: options.region ?? 'us-east-1',
    s3AccessKey: options.accessKeyId ?? '',
    s3SecretKey: options.secretAccessKey ?? '',
  };
})();

beforeAll(async () => {
  s3 = await openStackS3(prefix);
  await writeSmallLake(s3);
  dir = await mkdtemp(join(tmpdir(), 'oxbow-lake-sql-int-'));
  local = pathToFileURL(join(dir, 'lake')).href;
  const fs = openFileSystem(local);
  await writeSmallLake(fs);
  await fs.close();
});
afterAll(async () => {
  await s3?.deletePrefix('');
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('runLakeSql on s3://', () => {
  it('answers as on file://, downloading into a temporary directory it removes', async () => {
    const downloads = join(dir, 'tmp');
    await rm(downloads, { recursive: true, force: true });
    await mkdir(downloads);
    const options: LakeSqlOptions = { project: SMALL_PROJECT, bindings: SMALL_BINDINGS, tempDir: downloads };
    const query = `SELECT c.user, c.epoch, count(*) AS n, sum(c.ms) AS total, any_value(v.n) AS batch_n
                     FROM clicks c LEFT JOIN clicks_by_user v ON v.key = c.user
                    GROUP BY ALL ORDER BY ALL`;
    const remote = await runLakeSql({ lake: s3Lake, ...s3Settings }, query, options);
    const onDisk = await runLakeSql({ lake: local }, query, options);
    expect(remote.rows).toEqual(onDisk.rows);
    expect(remote.rows.length).toBe(8);
    expect(remote.batch).toEqual(onDisk.batch);
    expect(remote.tables).toEqual(onDisk.tables);
    expect(await readdir(downloads)).toEqual([]);
  });
});
