/**
 * The one storage interface of Oxbow: every backend (`file://`, `s3://`, `hdfs://`) implements it, and
 * code above it (the archiver, the batch layer, checkpoints) never knows which one it talks to.
 */
import type { Readable, Writable } from 'node:stream';

/** What a listing or a stat returns about one file. */
export interface FileInfo {
  /** Path relative to the file system's root URL, `/`-separated, no leading slash. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** Last modification time as reported by the backend. */
  readonly mtime: Date;
}

/** Bytes to write: one buffer, or chunks produced synchronously or asynchronously. */
export type ByteSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * How a backend makes a file appear whole.
 * - `rename`: the data is written under a hidden temporary name in the same directory, then renamed
 *   over the final name (one atomic metadata operation on a POSIX file system and on the HDFS NameNode).
 * - `copy-delete`: S3 has no rename. An object only becomes visible once its upload (single PUT or
 *   CompleteMultipartUpload) has finished, so writes go straight to the final key; `commit` copies the
 *   temporary object (the copy appears atomically) and then deletes the temporary one (a crash in between
 *   leaves a stray temporary object, never a partial final one).
 */
export type CommitStrategy = 'rename' | 'copy-delete';

/**
 * A file system rooted at a URL. Paths are relative to that root, `/`-separated, without `.`/`..`
 * segments; directories are implicit (S3 has none), so listings only return files.
 *
 * @example
 * const fs = openFileSystem('s3://lake/master', { s3: { endpoint: 'http://127.0.0.1:29000' } });
 * await fs.putAtomic('epoch=1/p0-0-99.parquet', bytes);
 * for await (const file of fs.list('epoch=1/')) console.log(file.path, file.size);
 */
export interface FileSystem {
  /** The root URL this file system was opened on, e.g. `s3://lake/master`. */
  readonly url: string;
  /** How {@link FileSystem.commit} and {@link FileSystem.putAtomic} achieve atomicity on this backend. */
  readonly commitStrategy: CommitStrategy;

  /**
   * Every file whose path starts with `prefix` (a plain string prefix, so `a/b` matches `a/b/c` and
   * `a/bc`), recursively, in no guaranteed order. A missing prefix yields nothing.
   */
  list(prefix?: string): AsyncIterable<FileInfo>;
  /** Size and mtime of one file; `OXBOW_STORAGE_NOT_FOUND` when missing. */
  stat(path: string): Promise<FileInfo>;
  /** True when a file exists at `path`. */
  exists(path: string): Promise<boolean>;
  /** The whole file. */
  read(path: string): Promise<Uint8Array>;
  /** `length` bytes from `offset` (fewer at the end of the file), e.g. a Parquet footer. */
  readRange(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** A stream of the file's bytes; not-found errors surface when opening, not mid-stream. */
  openReadStream(path: string): Promise<Readable>;
  /**
   * Streams `source` into `path`, replacing what was there. Not atomic on `file://` and `hdfs://`
   * (readers may see a growing file); on `s3://` large sources go up as a multipart upload.
   */
  write(path: string, source: ByteSource): Promise<void>;
  /** A Node writable over {@link FileSystem.write}; `finish` fires once the file is complete. */
  openWriteStream(path: string): Writable;
  /** Streams `source` to `path` so that readers see either the previous file or the complete new one. */
  writeAtomic(path: string, source: ByteSource): Promise<void>;
  /** Writes `bytes` to `path` so that readers see either the previous file or the complete new one. */
  putAtomic(path: string, bytes: Uint8Array): Promise<void>;
  /** Moves a finished temporary file to its final path, replacing it (see {@link CommitStrategy}). */
  commit(tempPath: string, finalPath: string): Promise<void>;
  /** Deletes one file; resolves false when there was none. */
  delete(path: string): Promise<boolean>;
  /** Deletes every file {@link FileSystem.list} would return for `prefix`; resolves how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** Creates a directory and its parents (no-op on S3, where directories do not exist). */
  mkdirs(path: string): Promise<void>;
  /** Releases connections and clients. */
  close(): Promise<void>;
}
