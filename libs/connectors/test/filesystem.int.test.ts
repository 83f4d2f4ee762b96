/**
 * The FileSystem conformance suite against the three real backends: a temporary directory, the local
 * stack's S3 (S3Proxy) and a single-node HDFS started here from the Hadoop minicluster jars; plus the
 * Parquet round trip through the two remote backends.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe } from 'vitest';
import { LocalFileSystem } from '../src/storage/local-file-system.ts';
import { WebHdfsFileSystem } from '../src/storage/webhdfs-file-system.ts';
import { describeFileSystemConformance } from './support/file-system-conformance.ts';
import { type MiniHdfs, startMiniHdfs } from './support/hdfs-server.ts';
import { describeParquetRoundTrip } from './support/parquet-round-trip.ts';
import { openStackS3 } from './support/s3-endpoint.ts';

const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

describe('file://', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'oxbow-fs-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });
  describeFileSystemConformance(
    'file://',
    async () => new LocalFileSystem(pathToFileURL(join(directory, 'root')).href),
  );
});

describe('s3://', () => {
  describeFileSystemConformance('s3://', () => openStackS3(`conformance-${runId}`), {
    atomicReplaceForConcurrentReaders: false, // S3Proxy's filesystem backend can tear a read during a replace
  });
  describeParquetRoundTrip('s3://', () => openStackS3(`parquet-${runId}`));
});

describe('hdfs://', () => {
  let hdfs: MiniHdfs | undefined;
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'oxbow-hdfs-'));
    hdfs = await startMiniHdfs({ stateDir });
  });
  afterAll(async () => {
    await hdfs?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });
  describeFileSystemConformance('hdfs://', async () => {
    if (hdfs === undefined) throw new Error('HDFS did not start');
    return new WebHdfsFileSystem(`${hdfs.url}/conformance-${runId}`, { user: 'oxbow' });
  });
  describeParquetRoundTrip('hdfs://', async () => {
    if (hdfs === undefined) throw new Error('HDFS did not start');
    return new WebHdfsFileSystem(`${hdfs.url}/parquet-${runId}`, { user: 'oxbow' });
  });
});
