/**
 * `s3://bucket/prefix` backend on the AWS SDK v3, for AWS S3 and S3-compatible servers (S3Proxy, MinIO).
 * Objects become visible only when their upload completes, so `write` is already atomic; `commit` is a
 * server-side copy followed by a delete.
 */

import { Readable, type Writable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ConnectorError } from '../errors.ts';
import { readableOf, writableInto } from './byte-source.ts';
import type { ByteSource, CommitStrategy, FileInfo, FileSystem } from './file-system.ts';
import { checkPath, checkPrefix } from './paths.ts';

/** Connection settings of the S3 backend. */
export interface S3Options {
  /** Endpoint of an S3-compatible server, e.g. `http://127.0.0.1:29000`. Default: AWS. */
  endpoint?: string;
  /** Region used for signing. Default `us-east-1`. */
  region?: string;
  /** Access key; with `secretAccessKey`, overrides the SDK's default credential chain. */
  accessKeyId?: string;
  /** Secret key matching `accessKeyId`. */
  secretAccessKey?: string;
  /** Session token for temporary credentials. */
  sessionToken?: string;
  /** Path-style addressing (`endpoint/bucket/key`). Default: true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Attempts per request, with the SDK's exponential backoff and jitter on retriable errors. Default 5. */
  maxAttempts?: number;
  /** Part size of multipart uploads (≥ 5 MiB). Default 8 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded in parallel by one multipart upload. Default 2. */
  uploadQueueSize?: number;
}

const MIB = 1024 * 1024;

/**
 * A {@link FileSystem} over one bucket and key prefix.
 *
 * @example
 * const fs = new S3FileSystem('s3://lake/master', { endpoint: 'http://127.0.0.1:29000',
 *   accessKeyId: 'oxbow', secretAccessKey: 'oxbow-secret' });
 */
export class S3FileSystem implements FileSystem {
  readonly url: string;
  readonly commitStrategy: CommitStrategy = 'copy-delete';
  readonly bucket: string;
  readonly #rootKey: string;
  readonly #client: S3Client;
  readonly #partSize: number;
  readonly #queueSize: number;
  #multiDelete = true;

  constructor(url: string, options: S3Options = {}) {
    const parsed = parseS3Url(url);
    this.url = url;
    this.bucket = parsed.bucket;
    this.#rootKey = parsed.rootKey;
    this.#partSize = Math.max(5 * MIB, options.partSizeBytes ?? 8 * MIB);
    this.#queueSize = Math.max(1, options.uploadQueueSize ?? 2);
    const { accessKeyId, secretAccessKey, sessionToken } = options;
    this.#client = new S3Client({
      region: options.region ?? 'us-east-1',
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      maxAttempts: options.maxAttempts ?? 5,
      retryMode: 'standard',
      // S3-compatible servers often reject the SDK's default CRC32 trailers; send checksums only when required.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(accessKeyId !== undefined && secretAccessKey !== undefined
        ? {
            credentials: {
              accessKeyId,
              secretAccessKey,
              ...(sessionToken === undefined ? {} : { sessionToken }),
            },
          }
        : {}),
    });
  }

  /** The underlying SDK client (for bucket administration in tools and tests). */
  get client(): S3Client {
    return this.#client;
  }

  #key(path: string): string {
    return this.#rootKey + path;
  }

  async *list(prefix = ''): AsyncIterable<FileInfo> {
    checkPrefix(prefix);
    let continuationToken: string | undefined;
    do {
      const page = await this.#call(prefix, () =>
        this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.#key(prefix),
            ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || object.Key.endsWith('/')) continue;
        yield {
          path: object.Key.slice(this.#rootKey.length),
          size: object.Size ?? 0,
          mtime: object.LastModified ?? new Date(0),
        };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async stat(path: string): Promise<FileInfo> {
    checkPath(path);
    const head = await this.#call(path, () =>
      this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(path) })),
    );
    return { path, size: head.ContentLength ?? 0, mtime: head.LastModified ?? new Date(0) };
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.stat(path);
      return true;
    } catch (error) {
      if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return false;
      throw error;
    }
  }

  async read(path: string): Promise<Uint8Array> {
    checkPath(path);
    const object = await this.#call(path, () =>
      this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(path) })),
    );
    if (object.Body === undefined) return new Uint8Array(0);
    try {
      return await object.Body.transformToByteArray();
    } catch (error) {
      throw mapS3Error(error, path);
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    checkPath(path);
    if (length <= 0) return new Uint8Array(0);
    try {
      const object = await this.#call(path, () =>
        this.#client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: this.#key(path),
            Range: `bytes=${offset}-${offset + length - 1}`,
          }),
        ),
      );
      return object.Body === undefined ? new Uint8Array(0) : await object.Body.transformToByteArray();
    } catch (error) {
      // A range starting at or past the end of the object is "not satisfiable": there are no bytes.
      if (httpStatusOf(error) === 416) return new Uint8Array(0);
      throw mapS3Error(error, path);
    }
  }

  async openReadStream(path: string): Promise<Readable> {
    checkPath(path);
    const object = await this.#call(path, () =>
      this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(path) })),
    );
    const body = object.Body;
    if (body instanceof Readable) return body;
    if (body === undefined) return Readable.from([]);
    return Readable.fromWeb(body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
  }

  async write(path: string, source: ByteSource): Promise<void> {
    checkPath(path);
    if (source instanceof Uint8Array && source.byteLength <= this.#partSize) {
      await this.#call(path, () =>
        this.#client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.#key(path),
            Body: source,
            ContentLength: source.byteLength,
          }),
        ),
      );
      return;
    }
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.bucket, Key: this.#key(path), Body: readableOf(source) },
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      throw mapS3Error(error, path);
    }
  }

  openWriteStream(path: string): Writable {
    checkPath(path);
    return writableInto((source) => this.write(path, source));
  }

  /** On S3 an upload is invisible until complete, so this writes the final key directly. */
  writeAtomic(path: string, source: ByteSource): Promise<void> {
    return this.write(path, source);
  }

  putAtomic(path: string, bytes: Uint8Array): Promise<void> {
    return this.write(path, bytes);
  }

  async commit(tempPath: string, finalPath: string): Promise<void> {
    checkPath(tempPath);
    checkPath(finalPath);
    const source = `${this.bucket}/${this.#key(tempPath).split('/').map(encodeURIComponent).join('/')}`;
    await this.#call(tempPath, () =>
      this.#client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: this.#key(finalPath), CopySource: source }),
      ),
    );
    await this.#call(tempPath, () =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(tempPath) })),
    );
  }

  async delete(path: string): Promise<boolean> {
    if (!(await this.exists(path))) return false;
    await this.#call(path, () =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(path) })),
    );
    return true;
  }

  async deletePrefix(prefix: string): Promise<number> {
    checkPrefix(prefix);
    let deleted = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await this.#deleteMany(batch, prefix);
      deleted += batch.length;
      batch = [];
    };
    for await (const file of this.list(prefix)) {
      batch.push(file.path);
      if (batch.length === 1000) await flush();
    }
    await flush();
    return deleted;
  }

  /** DeleteObjects, or one DeleteObject per key on servers without multi-object delete (S3Proxy 2.6). */
  async #deleteMany(paths: string[], prefix: string): Promise<void> {
    if (this.#multiDelete) {
      try {
        const objects = paths.map((path) => ({ Key: this.#key(path) }));
        const result = await this.#client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }),
        );
        const failure = result.Errors?.[0];
        if (failure === undefined) return;
        throw new ConnectorError(
          'OXBOW_STORAGE_IO',
          `cannot delete ${failure.Key ?? prefix}: ${failure.Code ?? ''} ${failure.Message ?? ''}`,
        );
      } catch (error) {
        if (httpStatusOf(error) !== 501) throw mapS3Error(error, prefix);
        this.#multiDelete = false;
      }
    }
    for (let i = 0; i < paths.length; i += 8) {
      await Promise.all(
        paths
          .slice(i, i + 8)
          .map((path) =>
            this.#call(path, () =>
              this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(path) })),
            ),
          ),
      );
    }
  }

  mkdirs(path: string): Promise<void> {
    checkPath(path);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }

  async #call<T>(path: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw mapS3Error(error, path);
    }
  }
}

/** Splits `s3://bucket/some/prefix` into the bucket and the key prefix (`some/prefix/`). */
export function parseS3Url(url: string): { bucket: string; rootKey: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ConnectorError('OXBOW_STORAGE_BAD_URL', `not a URL: ${url}`, { cause });
  }
  if (parsed.protocol !== 's3:' || parsed.hostname === '') {
    throw new ConnectorError('OXBOW_STORAGE_BAD_URL', `expected s3://bucket[/prefix], got ${url}`);
  }
  const path = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
  return { bucket: parsed.hostname, rootKey: path === '' ? '' : `${path}/` };
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  return typeof metadata === 'object' && metadata !== null && 'httpStatusCode' in metadata
    ? Number(metadata.httpStatusCode)
    : undefined;
}

function mapS3Error(error: unknown, path: string): ConnectorError {
  if (ConnectorError.is(error)) return error;
  const name = error instanceof Error ? error.name : '';
  const status = httpStatusOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket' || status === 404) {
    return new ConnectorError('OXBOW_STORAGE_NOT_FOUND', `no such object: ${path} (${name || status})`, {
      cause: error,
    });
  }
  if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId') {
    return new ConnectorError('OXBOW_STORAGE_DENIED', `access denied to ${path}: ${detail}`, {
      cause: error,
    });
  }
  const retriable =
    status === undefined ||
    status >= 500 ||
    status === 429 ||
    name === 'SlowDown' ||
    name === 'RequestTimeout' ||
    name === 'TimeoutError';
  return new ConnectorError('OXBOW_STORAGE_IO', `S3 error on ${path}: ${detail}`, {
    cause: error,
    retriable,
  });
}
