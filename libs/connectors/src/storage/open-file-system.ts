/**
 * Chooses the {@link FileSystem} implementation from a URL's scheme.
 */
import { ConnectorError } from '../errors.ts';
import type { FileSystem } from './file-system.ts';
import { LocalFileSystem } from './local-file-system.ts';
import { S3FileSystem, type S3Options } from './s3-file-system.ts';
import { WebHdfsFileSystem, type WebHdfsOptions } from './webhdfs-file-system.ts';

/** Per-backend options; only the one matching the URL's scheme is used. */
export interface OpenFileSystemOptions {
  s3?: S3Options;
  hdfs?: WebHdfsOptions;
}

/**
 * Opens the file system rooted at `url`: `file:///abs/dir`, `s3://bucket/prefix` or
 * `hdfs://namenode-http-host:port/path` (WebHDFS).
 *
 * @example
 * const fs = openFileSystem('s3://lake/master', {
 *   s3: { endpoint: 'http://127.0.0.1:29000', accessKeyId: 'oxbow', secretAccessKey: 'oxbow-secret' },
 * });
 * await fs.putAtomic('hello.txt', new TextEncoder().encode('hi'));
 * await fs.close();
 */
export function openFileSystem(url: string, options: OpenFileSystemOptions = {}): FileSystem {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'file':
      return new LocalFileSystem(url);
    case 's3':
      return new S3FileSystem(url, options.s3);
    case 'hdfs':
      return new WebHdfsFileSystem(url, options.hdfs);
    default:
      throw new ConnectorError(
        'OXBOW_STORAGE_BAD_URL',
        `unsupported storage URL "${url}" (expected file://, s3:// or hdfs://)`,
      );
  }
}
