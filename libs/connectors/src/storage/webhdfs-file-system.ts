/**
 * `hdfs://host:port/path` backend speaking WebHDFS REST over HTTP (no Java client). `host:port` is the
 * NameNode's HTTP address (9870 on a default Hadoop 3 install, 29870 on the Oxbow test cluster); data
 * goes to and from DataNodes through the NameNode's 307 redirects. Atomic writes are a CREATE of a
 * hidden temporary file followed by a RENAME with `renameoptions=OVERWRITE` (one NameNode operation).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConnectorError } from '../errors.ts';
import { readableOf, writableInto } from './byte-source.ts';
import { deletePrefixHierarchical } from './delete-prefix.ts';
import type { ByteSource, CommitStrategy, FileInfo, FileSystem } from './file-system.ts';
import { checkPath, checkPrefix, joinPath, listingRootOf, parentOf, temporarySiblingOf } from './paths.ts';
import { type RetryPolicy, withRetry } from './retry.ts';

/** Connection settings of the WebHDFS backend. */
export interface WebHdfsOptions {
  /** `user.name` sent with every request (simple authentication). Default `$USER` or `oxbow`. */
  user?: string;
  /** Use `https` towards the NameNode. Default false. */
  https?: boolean;
  /** Retries of requests that failed with a retriable error (connection refused, 5xx, standby, safe mode). */
  retry?: RetryPolicy;
  /** Bodies up to this size are buffered so a failed upload can be retried. Default 16 MiB. */
  replayableUploadBytes?: number;
}

interface FileStatus {
  pathSuffix: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
  modificationTime: number;
}

const RETRIABLE_REMOTE_EXCEPTIONS = new Set([
  'RetriableException',
  'StandbyException',
  'SafeModeException',
  'ConnectTimeoutException',
]);

const DENIED_REMOTE_EXCEPTIONS = new Set([
  'AccessControlException',
  'SecurityException',
  'AuthorizationException',
]);

/**
 * A {@link FileSystem} over WebHDFS.
 *
 * @example
 * const fs = new WebHdfsFileSystem('hdfs://127.0.0.1:29870/oxbow/lake', { user: 'oxbow' });
 * await fs.putAtomic('manifest.json', bytes);
 */
export class WebHdfsFileSystem implements FileSystem {
  readonly url: string;
  readonly commitStrategy: CommitStrategy = 'rename';
  readonly #endpoint: string;
  readonly #rootPath: string;
  readonly #user: string;
  readonly #retry: RetryPolicy;
  readonly #replayableUploadBytes: number;

  constructor(url: string, options: WebHdfsOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new ConnectorError('OXBOW_STORAGE_BAD_URL', `not a URL: ${url}`, { cause });
    }
    if (parsed.protocol !== 'hdfs:' || parsed.hostname === '') {
      throw new ConnectorError('OXBOW_STORAGE_BAD_URL', `expected hdfs://host:port/path, got ${url}`);
    }
    this.url = url;
    const port = parsed.port === '' ? '9870' : parsed.port;
    this.#endpoint = `${options.https ? 'https' : 'http'}://${parsed.host.replace(/:\d+$/, '')}:${port}/webhdfs/v1`;
    this.#rootPath = decodeURIComponent(parsed.pathname).replace(/\/+$/, '');
    this.#user = options.user ?? process.env.USER ?? 'oxbow';
    this.#retry = options.retry ?? {};
    this.#replayableUploadBytes = options.replayableUploadBytes ?? 16 * 1024 * 1024;
  }

  #url(path: string, op: string, params: Record<string, string> = {}): string {
    const absolute = `${this.#rootPath}/${path}`.replace(/\/+$/, '') || '/';
    const encoded = absolute.split('/').map(encodeURIComponent).join('/');
    const query = new URLSearchParams({ op, 'user.name': this.#user, ...params });
    return `${this.#endpoint}${encoded.startsWith('/') ? '' : '/'}${encoded}?${query}`;
  }

  async *list(prefix = ''): AsyncIterable<FileInfo> {
    checkPrefix(prefix);
    yield* this.#walk(listingRootOf(prefix), prefix);
  }

  async *#walk(directory: string, prefix: string): AsyncIterable<FileInfo> {
    let statuses: FileStatus[];
    try {
      const body = await this.#json<{ FileStatuses: { FileStatus: FileStatus[] } }>(
        'GET',
        this.#url(directory, 'LISTSTATUS'),
        directory,
      );
      statuses = body.FileStatuses.FileStatus;
    } catch (error) {
      if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return;
      throw error;
    }
    for (const status of statuses) {
      // LISTSTATUS on a file returns the file itself with an empty suffix.
      if (status.pathSuffix === '') continue;
      const path = joinPath(directory, status.pathSuffix);
      if (status.type === 'DIRECTORY') {
        if (path.startsWith(prefix) || prefix.startsWith(`${path}/`)) yield* this.#walk(path, prefix);
      } else if (status.type === 'FILE' && path.startsWith(prefix)) {
        yield { path, size: status.length, mtime: new Date(status.modificationTime) };
      }
    }
  }

  async #status(path: string): Promise<FileStatus> {
    const body = await this.#json<{ FileStatus: FileStatus }>('GET', this.#url(path, 'GETFILESTATUS'), path);
    return body.FileStatus;
  }

  async stat(path: string): Promise<FileInfo> {
    checkPath(path);
    const status = await this.#status(path);
    if (status.type !== 'FILE') throw new ConnectorError('OXBOW_STORAGE_NOT_A_FILE', `not a file: ${path}`);
    return { path, size: status.length, mtime: new Date(status.modificationTime) };
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
    return withRetry(async () => {
      const response = await this.#open(path, {});
      return new Uint8Array(await response.arrayBuffer());
    }, this.#retry);
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    checkPath(path);
    if (length <= 0) return new Uint8Array(0);
    return withRetry(async () => {
      try {
        const response = await this.#open(path, { offset: String(offset), length: String(length) });
        return new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        // HDFS answers an offset past the end of the file with an IOException; there are no bytes there.
        if (ConnectorError.is(error, 'OXBOW_STORAGE_IO') && !error.retriable) {
          const size = (await this.stat(path)).size;
          if (offset >= size) return new Uint8Array(0);
        }
        throw error;
      }
    }, this.#retry);
  }

  async openReadStream(path: string): Promise<Readable> {
    checkPath(path);
    const response = await withRetry(() => this.#open(path, {}), this.#retry);
    if (response.body === null) return Readable.from([]);
    return Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]);
  }

  /** OPEN: ask the NameNode, follow its redirect to a DataNode, return the DataNode's response. */
  async #open(path: string, params: Record<string, string>): Promise<Response> {
    const location = await this.#redirect('GET', this.#url(path, 'OPEN', params), path);
    const response = await this.#fetch(location, { method: 'GET' }, path);
    await this.#check(response, path);
    return response;
  }

  async write(path: string, source: ByteSource): Promise<void> {
    checkPath(path);
    const replayable =
      source instanceof Uint8Array && source.byteLength <= this.#replayableUploadBytes ? source : undefined;
    const upload = async (body: ByteSource) => {
      const location = await this.#redirect('PUT', this.#url(path, 'CREATE', { overwrite: 'true' }), path);
      let answer: { status: number; body: string };
      try {
        answer = await putToDataNode(location, body);
      } catch (cause) {
        throw new ConnectorError('OXBOW_STORAGE_IO', `WebHDFS upload of ${path} failed: ${describe(cause)}`, {
          cause,
          retriable: true,
        });
      }
      await this.#check(new Response(answer.body, { status: answer.status }), path);
    };
    if (replayable === undefined) await upload(source);
    else await withRetry(() => upload(replayable), this.#retry);
  }

  openWriteStream(path: string): Writable {
    checkPath(path);
    return writableInto((source) => this.write(path, source));
  }

  async writeAtomic(path: string, source: ByteSource): Promise<void> {
    checkPath(path);
    const temporary = temporarySiblingOf(path);
    try {
      await this.write(temporary, source);
      await this.commit(temporary, path);
    } catch (error) {
      await this.delete(temporary).catch(() => false);
      throw error;
    }
  }

  async putAtomic(path: string, bytes: Uint8Array): Promise<void> {
    await this.writeAtomic(path, bytes);
  }

  async commit(tempPath: string, finalPath: string): Promise<void> {
    checkPath(tempPath);
    checkPath(finalPath);
    const parent = parentOf(finalPath);
    if (parent !== '') await this.mkdirs(parent);
    const destination = `${this.#rootPath}/${finalPath}`;
    const result = await this.#json<{ boolean?: boolean }>(
      'PUT',
      this.#url(tempPath, 'RENAME', { destination, renameoptions: 'OVERWRITE' }),
      tempPath,
    );
    if (result.boolean === false)
      throw new ConnectorError('OXBOW_STORAGE_IO', `rename ${tempPath} → ${finalPath} failed`);
  }

  async delete(path: string): Promise<boolean> {
    checkPath(path);
    const status = await this.#status(path).catch((error: unknown) => {
      if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return undefined;
      throw error;
    });
    if (status === undefined) return false;
    if (status.type !== 'FILE') throw new ConnectorError('OXBOW_STORAGE_NOT_A_FILE', `not a file: ${path}`);
    const result = await this.#json<{ boolean: boolean }>(
      'DELETE',
      this.#url(path, 'DELETE', { recursive: 'false' }),
      path,
    );
    return result.boolean;
  }

  deletePrefix(prefix: string): Promise<number> {
    checkPrefix(prefix);
    return deletePrefixHierarchical(
      {
        list: (p) => this.list(p),
        isDirectory: async (p) => {
          try {
            return (await this.#status(p)).type === 'DIRECTORY';
          } catch (error) {
            if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return false;
            throw error;
          }
        },
        deleteFile: (p) => this.delete(p),
        deleteDirectory: async (p) => {
          await this.#json('DELETE', this.#url(p, 'DELETE', { recursive: 'true' }), p);
        },
      },
      prefix,
    );
  }

  async mkdirs(path: string): Promise<void> {
    checkPath(path);
    const result = await this.#json<{ boolean: boolean }>('PUT', this.#url(path, 'MKDIRS'), path);
    if (!result.boolean) throw new ConnectorError('OXBOW_STORAGE_IO', `cannot create directory ${path}`);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** A NameNode call answering JSON, retried on retriable failures. */
  #json<T>(method: string, url: string, path: string): Promise<T> {
    return withRetry(async () => {
      const response = await this.#fetch(url, { method }, path);
      await this.#check(response, path);
      const text = await response.text();
      // RENAME with renameoptions answers 200 with an empty body (it maps to the void rename2 call).
      return (text === '' ? {} : JSON.parse(text)) as T;
    }, this.#retry);
  }

  /** The first leg of OPEN/CREATE: the NameNode's redirect to a DataNode. */
  #redirect(method: string, url: string, path: string): Promise<string> {
    return withRetry(async () => {
      const response = await this.#fetch(url, { method, redirect: 'manual' }, path);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel();
        return location;
      }
      await this.#check(response, path);
      // `noredirect=true` style answer: the location in a JSON body.
      const body = (await response.json()) as { Location?: string };
      if (typeof body.Location !== 'string') {
        throw new ConnectorError('OXBOW_STORAGE_IO', `WebHDFS gave no DataNode location for ${path}`);
      }
      return body.Location;
    }, this.#retry);
  }

  async #fetch(url: string, init: RequestInit, path: string): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (cause) {
      throw new ConnectorError('OXBOW_STORAGE_IO', `WebHDFS request for ${path} failed: ${describe(cause)}`, {
        cause,
        retriable: true,
      });
    }
  }

  /** Throws the connector error matching a non-2xx WebHDFS answer (a `RemoteException` JSON body). */
  async #check(response: Response, path: string): Promise<void> {
    if (response.ok) return;
    const text = await response.text();
    let exception = '';
    let message = text.slice(0, 300);
    try {
      const remote = (JSON.parse(text) as { RemoteException?: { exception?: string; message?: string } })
        .RemoteException;
      exception = remote?.exception ?? '';
      message = remote?.message ?? message;
    } catch {
      // not JSON: keep the raw text
    }
    const detail = `${path}: ${exception || response.status} ${message}`.trim();
    if (response.status === 404 || exception === 'FileNotFoundException') {
      throw new ConnectorError('OXBOW_STORAGE_NOT_FOUND', `no such file: ${detail}`);
    }
    // WebHDFS answers any IOException with 403, so the exception name decides, not the status.
    if (DENIED_REMOTE_EXCEPTIONS.has(exception) || (exception === '' && response.status === 401)) {
      throw new ConnectorError('OXBOW_STORAGE_DENIED', `access denied: ${detail}`);
    }
    const retriable =
      RETRIABLE_REMOTE_EXCEPTIONS.has(exception) || (exception === '' && response.status >= 500);
    throw new ConnectorError('OXBOW_STORAGE_IO', `WebHDFS error on ${detail}`, { retriable });
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

/**
 * The second leg of CREATE: PUT the bytes to the DataNode. Done with node:http rather than fetch because
 * the DataNode answers `100 Continue` even when not asked to, which undici's fetch rejects as a bad response.
 */
async function putToDataNode(location: string, body: ByteSource): Promise<{ status: number; body: string }> {
  const url = new URL(location);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const request = send(url, {
    method: 'PUT',
    headers: {
      'content-type': 'application/octet-stream',
      ...(body instanceof Uint8Array
        ? { 'content-length': String(body.byteLength) }
        : { 'transfer-encoding': 'chunked' }),
    },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  const sent = pipeline(readableOf(body), request);
  const [answer] = await Promise.all([response, sent]);
  const chunks: Buffer[] = [];
  for await (const chunk of answer) chunks.push(chunk as Buffer);
  return { status: answer.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') };
}
