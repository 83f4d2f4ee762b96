/**
 * Directory streams (Spark's `fileStream`, `textFileStream`) over any {@link FileSystem}: `file://`, `s3://`,
 * `hdfs://`. Every batch lists the directory; files not seen before become that batch's RDD (one partition per
 * file). The set of files already taken is part of the checkpoint, so after a restart from a checkpoint each
 * file is read exactly once — not guessed from modification times as Spark's `FileInputDStream` does.
 */
import type { RDD, StreamingContext } from '@oxbow/dataflow';
import { InputDStream } from '@oxbow/dataflow';
import { ConnectorError } from '../../errors.ts';
import type { FileInfo, FileSystem } from '../../storage/file-system.ts';
import { type OpenFileSystemOptions, openFileSystem } from '../../storage/open-file-system.ts';
import { Backoff, type BackoffOptions } from '../backoff.ts';
import { messageOf, SourceError } from '../source-error.ts';
import { type MeteredSource, SourceMeter, type SourceMetrics } from '../source-metrics.ts';

/** Where a directory stream looks: a URL, or an open file system and a prefix in it. */
export type DirectoryLocation = string | { readonly fs: FileSystem; readonly prefix?: string };

/** Options of every directory stream. */
export interface FileStreamOptions {
  /** Backend options (`s3` endpoint and credentials, `hdfs` user) when the location is a URL. */
  readonly storage?: OpenFileSystemOptions;
  /**
   * Which files to take. Default: every file whose name does not start with `.` or `_` (temporary files of
   * `writeAtomic`, `_SUCCESS` markers, `_sealed`).
   */
  readonly filter?: (file: FileInfo) => boolean;
  /** Ignore the files present when the stream first starts (Spark's default). Default true. */
  readonly newFilesOnly?: boolean;
  /** Take at most this many new files per batch, oldest first (the rest wait for the next batches). */
  readonly maxFilesPerBatch?: number;
  /**
   * Forget files older than this many milliseconds before the newest file seen, and ignore files that old
   * when they appear. Bounds the remembered set for directories that are never cleaned; default: remember
   * every file.
   */
  readonly rememberMs?: number;
  /** Delays between listing attempts after a failure (the batches meanwhile are empty). */
  readonly backoff?: BackoffOptions;
  /** Failed reads of one file (other than I/O errors, which are retried forever) before it is skipped. Default 3. */
  readonly maxReadAttempts?: number;
}

/** Directory stream counters: the common ones plus files. */
export interface FileStreamMetrics extends SourceMetrics {
  /** Files read into batches. */
  readonly files: number;
  /** Files the stream remembers as taken (and the ones ignored at the first start). */
  readonly rememberedFiles: number;
  /** Paths of files skipped after `maxReadAttempts` failed reads (their content is not in any batch). */
  readonly skippedFiles: readonly string[];
}

/** Reads one file into records. */
export type FileReader<T> = (fs: FileSystem, file: FileInfo) => Promise<readonly T[]>;

interface FileStreamCheckpoint {
  version: 1;
  /** Path and mtime (epoch ms) of every file taken or ignored. */
  files: Array<[path: string, mtime: number]>;
}

function defaultFilter(file: FileInfo): boolean {
  const name = file.path.slice(file.path.lastIndexOf('/') + 1);
  return !name.startsWith('.') && !name.startsWith('_');
}

/** Turns a storage failure at start into a {@link SourceError}. */
function storageError(location: string, error: unknown): SourceError {
  if (SourceError.is(error)) return error;
  const detail = messageOf(error);
  if (ConnectorError.is(error, 'OXBOW_STORAGE_DENIED')) {
    return new SourceError(
      'OXBOW_SOURCE_AUTH',
      `directory stream ${location}: access denied (${detail}); check the credentials`,
      {
        cause: error,
      },
    );
  }
  if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) {
    return new SourceError('OXBOW_SOURCE_NOT_FOUND', `directory stream ${location}: not found (${detail})`, {
      cause: error,
    });
  }
  if (
    ConnectorError.is(error, 'OXBOW_STORAGE_BAD_URL') ||
    ConnectorError.is(error, 'OXBOW_STORAGE_BAD_PATH')
  ) {
    return new SourceError('OXBOW_SOURCE_BAD_ADDRESS', `directory stream ${location}: ${detail}`, {
      cause: error,
    });
  }
  const code = (error as { code?: unknown }).code;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const system = typeof cause?.code === 'string' ? cause.code : typeof code === 'string' ? code : undefined;
  if (system === 'ENOTFOUND' || system === 'EAI_AGAIN') {
    return new SourceError(
      'OXBOW_SOURCE_BAD_ADDRESS',
      `directory stream ${location}: the host does not resolve (${detail})`,
      {
        cause: error,
      },
    );
  }
  return new SourceError(
    'OXBOW_SOURCE_UNAVAILABLE',
    `directory stream ${location}: cannot list it (${detail})`,
    { cause: error },
  );
}

/**
 * The input stream behind {@link fileStream}, {@link textFileStream} and `parquetFileStream`.
 *
 * Each batch lists the location once (a failed listing is retried in a later batch after a backoff delay),
 * takes the files it has not taken before (oldest first, up to `maxFilesPerBatch`), reads them, and remembers
 * them. The remembered set goes into the checkpoint; a context restored from it never reads those files again,
 * and re-reads the files of batches that ran after the checkpoint (their outputs were not known to complete).
 */
export class FileInputDStream<T> extends InputDStream<T> implements MeteredSource<FileStreamMetrics> {
  /** The file system the stream lists and reads. */
  readonly fs: FileSystem;
  private readonly prefix: string;
  private readonly ownsFileSystem: boolean;
  private readonly location: string;
  private readonly options: FileStreamOptions;
  private readonly read: FileReader<T>;
  private readonly fileFilter: (file: FileInfo) => boolean;
  private readonly backoff: Backoff;
  private readonly meter = new SourceMeter(() => Date.now());
  /** Path → mtime of files taken (or ignored at the first start). */
  private remembered = new Map<string, number>();
  private readonly failedReads = new Map<string, number>();
  private readonly skipped: string[] = [];
  private restored = false;
  private nextListingAt = 0;
  private listingFailed = false;
  private filesRead = 0;
  private newestMtime = Number.NEGATIVE_INFINITY;

  constructor(
    ssc: StreamingContext,
    location: DirectoryLocation,
    read: FileReader<T>,
    options: FileStreamOptions = {},
  ) {
    super(ssc);
    if (
      options.maxFilesPerBatch !== undefined &&
      !(Number.isInteger(options.maxFilesPerBatch) && options.maxFilesPerBatch > 0)
    ) {
      throw new SourceError(
        'OXBOW_SOURCE_BAD_OPTIONS',
        `maxFilesPerBatch must be a positive integer, got ${options.maxFilesPerBatch}`,
      );
    }
    if (options.rememberMs !== undefined && !(options.rememberMs > 0)) {
      throw new SourceError(
        'OXBOW_SOURCE_BAD_OPTIONS',
        `rememberMs must be positive, got ${options.rememberMs}`,
      );
    }
    if (typeof location === 'string') {
      try {
        this.fs = openFileSystem(location, options.storage);
      } catch (error) {
        throw storageError(location, error);
      }
      this.prefix = '';
      this.ownsFileSystem = true;
      this.location = location;
    } else {
      this.fs = location.fs;
      this.prefix = location.prefix ?? '';
      this.ownsFileSystem = false;
      this.location = `${location.fs.url.replace(/\/$/, '')}/${this.prefix}`;
    }
    this.read = read;
    this.options = options;
    this.fileFilter = options.filter ?? defaultFilter;
    this.backoff = new Backoff(options.backoff);
  }

  /** The stream itself is the source (for the same shape as the receiver streams). */
  get source(): this {
    return this;
  }

  /** The current figures. */
  metrics(): FileStreamMetrics {
    return {
      ...this.meter.snapshot(),
      files: this.filesRead,
      rememberedFiles: this.remembered.size,
      skippedFiles: [...this.skipped],
    };
  }

  /** Lists the location once (a bad address, refused credentials or a missing bucket fail here). */
  override async start(): Promise<void> {
    let files: FileInfo[];
    try {
      files = await this.list();
    } catch (error) {
      throw storageError(this.location, error);
    }
    this.meter.setConnected(true);
    if (!this.restored && (this.options.newFilesOnly ?? true)) {
      for (const file of files) if (this.accepts(file)) this.rememberFile(file);
    }
  }

  override async stop(): Promise<void> {
    this.meter.setConnected(false);
    if (this.ownsFileSystem) await this.fs.close();
  }

  async compute(_time: number): Promise<RDD<T>> {
    const partitions: T[][] = [];
    for (const file of await this.newFiles()) {
      const records = await this.readFile(file);
      if (records === undefined) continue;
      this.rememberFile(file);
      this.filesRead += 1;
      this.meter.recordsIn(records.length, file.size);
      if (records.length > 0) partitions.push(records);
    }
    this.forgetOld();
    const ctx = this.ssc.dataflowContext;
    return partitions.length > 0 ? ctx.fromPartitions(partitions) : ctx.parallelize<T>([], 1);
  }

  override checkpointState(): FileStreamCheckpoint {
    return { version: 1, files: [...this.remembered] };
  }

  override restoreState(state: unknown): void {
    const checkpoint = state as FileStreamCheckpoint | undefined;
    if (checkpoint?.version !== 1) return;
    this.remembered = new Map(checkpoint.files);
    for (const [, mtime] of checkpoint.files) this.newestMtime = Math.max(this.newestMtime, mtime);
    this.restored = true;
  }

  private async list(): Promise<FileInfo[]> {
    const files: FileInfo[] = [];
    for await (const file of this.fs.list(this.prefix)) files.push(file);
    return files;
  }

  private accepts(file: FileInfo): boolean {
    return file.path.startsWith(this.prefix) && this.fileFilter(file);
  }

  private rememberFile(file: FileInfo): void {
    const mtime = file.mtime.getTime();
    this.remembered.set(file.path, mtime);
    this.newestMtime = Math.max(this.newestMtime, mtime);
  }

  /** The files to read this batch: new, accepted, not too old, oldest first. Empty while listing backs off. */
  private async newFiles(): Promise<FileInfo[]> {
    if (Date.now() < this.nextListingAt) return [];
    let files: FileInfo[];
    try {
      files = await this.list();
    } catch (error) {
      this.meter.error(`directory stream ${this.location}: listing failed: ${messageOf(error)}`);
      this.meter.setConnected(false);
      this.listingFailed = true;
      this.nextListingAt = Date.now() + this.backoff.next();
      return [];
    }
    if (this.listingFailed) this.meter.reconnected();
    this.listingFailed = false;
    this.backoff.reset();
    this.meter.setConnected(true);
    const horizon = this.horizon();
    const fresh = files
      .filter(
        (file) => this.accepts(file) && !this.remembered.has(file.path) && file.mtime.getTime() >= horizon,
      )
      .sort(
        (a, b) => a.mtime.getTime() - b.mtime.getTime() || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
      );
    return this.options.maxFilesPerBatch === undefined
      ? fresh
      : fresh.slice(0, this.options.maxFilesPerBatch);
  }

  /**
   * The records of `file`, or undefined when it cannot be read now: it vanished (forgotten: it is not listed
   * again), an I/O error (retried next batch), or another error (retried up to `maxReadAttempts`, then skipped
   * and remembered so it is not read again).
   */
  private async readFile(file: FileInfo): Promise<T[] | undefined> {
    try {
      const records = [...(await this.read(this.fs, file))];
      this.failedReads.delete(file.path);
      return records;
    } catch (error) {
      if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return undefined;
      this.meter.error(`directory stream ${this.location}: reading ${file.path} failed: ${messageOf(error)}`);
      if (ConnectorError.is(error, 'OXBOW_STORAGE_IO')) return undefined;
      const attempts = (this.failedReads.get(file.path) ?? 0) + 1;
      if (attempts >= (this.options.maxReadAttempts ?? 3)) {
        this.failedReads.delete(file.path);
        this.skipped.push(file.path);
        if (this.skipped.length > 1000) this.skipped.shift();
        this.rememberFile(file);
      } else {
        this.failedReads.set(file.path, attempts);
      }
      return undefined;
    }
  }

  private horizon(): number {
    return this.options.rememberMs === undefined
      ? Number.NEGATIVE_INFINITY
      : this.newestMtime - this.options.rememberMs;
  }

  private forgetOld(): void {
    const horizon = this.horizon();
    if (horizon === Number.NEGATIVE_INFINITY) return;
    for (const [path, mtime] of this.remembered) if (mtime < horizon) this.remembered.delete(path);
  }
}

/**
 * A directory stream whose files are read by `read` (Spark's `fileStream`).
 *
 * @example
 * ```ts
 * const events = fileStream(ssc, 'file:///var/spool/events/', async (fs, file) =>
 *   JSON.parse(new TextDecoder().decode(await fs.read(file.path))) as Event[]);
 * ```
 */
export function fileStream<T>(
  ssc: StreamingContext,
  location: DirectoryLocation,
  read: FileReader<T>,
  options: FileStreamOptions = {},
): FileInputDStream<T> {
  return new FileInputDStream<T>(ssc, location, read, options);
}

/**
 * Lines of new text files in a directory (UTF-8; a `.gz` file is gunzipped). Lines end at LF, a CR before it is
 * dropped, and a final line without LF counts.
 *
 * @example
 * ```ts
 * const lines = textFileStream(ssc, 's3://lake/incoming/logs/', {
 *   storage: { s3: { endpoint: 'http://127.0.0.1:29000', accessKeyId: 'oxbow', secretAccessKey: 'oxbow-secret' } },
 * });
 * lines.flatMap((line) => line.split(' ')).countByValue().print();
 * ```
 */
export function textFileStream(
  ssc: StreamingContext,
  location: DirectoryLocation,
  options: FileStreamOptions = {},
): FileInputDStream<string> {
  return new FileInputDStream<string>(ssc, location, readTextLines, options);
}

/** Reads a text file as lines (see {@link textFileStream}). */
export async function readTextLines(fs: FileSystem, file: FileInfo): Promise<string[]> {
  let bytes = await fs.read(file.path);
  if (file.path.endsWith('.gz')) {
    const { gunzipSync } = await import('node:zlib');
    bytes = gunzipSync(bytes);
  }
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}
