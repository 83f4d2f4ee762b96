import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../errors.ts';
import { LocalFileSystem } from './local-file-system.ts';
import { openFileSystem } from './open-file-system.ts';
import { parseS3Url, S3FileSystem } from './s3-file-system.ts';
import { WebHdfsFileSystem } from './webhdfs-file-system.ts';

describe('openFileSystem', () => {
  it('picks the backend from the scheme', async () => {
    const local = openFileSystem('file:///tmp/oxbow-lake');
    const s3 = openFileSystem('s3://lake/master', { s3: { endpoint: 'http://127.0.0.1:1' } });
    const hdfs = openFileSystem('hdfs://127.0.0.1:29870/lake');
    expect(local).toBeInstanceOf(LocalFileSystem);
    expect(local.commitStrategy).toBe('rename');
    expect(s3).toBeInstanceOf(S3FileSystem);
    expect(s3.commitStrategy).toBe('copy-delete');
    expect(hdfs).toBeInstanceOf(WebHdfsFileSystem);
    await Promise.all([local.close(), s3.close(), hdfs.close()]);
  });

  it('rejects unknown schemes and malformed URLs with OXBOW_STORAGE_BAD_URL', () => {
    for (const url of [
      'gs://bucket/x',
      'lake/master',
      's3:///no-bucket',
      'hdfs:///no-host',
      'file://host/x',
    ]) {
      expect(() => openFileSystem(url), url).toThrow(ConnectorError);
      try {
        openFileSystem(url);
      } catch (error) {
        expect((error as ConnectorError).code, url).toBe('OXBOW_STORAGE_BAD_URL');
      }
    }
  });
});

describe('parseS3Url', () => {
  it('splits bucket and key prefix', () => {
    expect(parseS3Url('s3://lake')).toEqual({ bucket: 'lake', rootKey: '' });
    expect(parseS3Url('s3://lake/')).toEqual({ bucket: 'lake', rootKey: '' });
    expect(parseS3Url('s3://lake/master/v1/')).toEqual({ bucket: 'lake', rootKey: 'master/v1/' });
  });
});
