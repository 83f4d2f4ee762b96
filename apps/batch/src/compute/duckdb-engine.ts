/**
 * The run's one DuckDB instance (in memory, `threads` = the run's parallelism, an optional memory limit with spill
 * to the run's scratch directory) and the local paths of lake files DuckDB reads: a `file://` lake is read in
 * place; files on S3 or HDFS are downloaded once per run into the scratch directory (DuckDB's httpfs extension
 * would need a download, which an offline machine cannot do).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { FileSystem } from '@oxbow/connectors';

/** Local paths of lake files, downloading the remote ones once. */
export class LocalLakeFiles {
  readonly #fs: FileSystem;
  readonly #scratchDir: string;
  readonly #downloaded = new Map<string, Promise<string>>();

  constructor(fs: FileSystem, scratchDir: string) {
    this.#fs = fs;
    this.#scratchDir = scratchDir;
  }

  /** True when the lake is on the local file system (no download needed). */
  get isLocal(): boolean {
    return this.#fs.url.startsWith('file:');
  }

  /** The local path of a lake file. */
  pathOf(path: string): Promise<string> {
    if (this.isLocal) {
      const root = this.#fs.url.endsWith('/') ? this.#fs.url : `${this.#fs.url}/`;
      return Promise.resolve(fileURLToPath(new URL(path, root)));
    }
    let local = this.#downloaded.get(path);
    if (local === undefined) {
      const target = join(this.#scratchDir, 'lake', ...path.split('/'));
      local = (async () => {
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, await this.#fs.read(path));
        return target;
      })();
      this.#downloaded.set(path, local);
    }
    return local;
  }

  /** The local paths of `paths`, in order, at most `concurrency` downloads at a time. */
  async pathsOf(paths: readonly string[], concurrency = 8): Promise<string[]> {
    const out = new Array<string>(paths.length);
    let next = 0;
    const worker = async () => {
      while (next < paths.length) {
        const index = next++;
        out[index] = await this.pathOf(paths[index] as string);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
    return out;
  }
}

/**
 * The least memory DuckDB is given, whatever the run's budget: below a few MiB it cannot allocate the 256 KiB blocks
 * its appender and scans work in and fails ("could not allocate block") instead of spilling.
 */
export const MIN_DUCKDB_MEMORY_BYTES = 64 * 2 ** 20;

/** Options of {@link openRunDuckDb}. */
export interface RunDuckDbOptions {
  /** DuckDB threads (the run's parallelism). */
  readonly threads: number;
  /** Where DuckDB spills what exceeds `memoryLimitBytes`. */
  readonly tempDirectory: string;
  /** DuckDB's memory limit (default: DuckDB's, 80 % of RAM; at least {@link MIN_DUCKDB_MEMORY_BYTES}). */
  readonly memoryLimitBytes?: number;
}

/** The run's DuckDB instance and its connection. */
export interface RunDuckDb {
  readonly connection: DuckDBConnection;
  close(): void;
}

/**
 * Opens the run's in-memory DuckDB instance.
 *
 * @example
 * const duck = await openRunDuckDb({ threads: 2, tempDirectory: join(scratch, 'duckdb') });
 * try { await duck.connection.run('SELECT 1'); } finally { duck.close(); }
 */
export async function openRunDuckDb(options: RunDuckDbOptions): Promise<RunDuckDb> {
  await mkdir(options.tempDirectory, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(Math.max(1, options.threads)),
    temp_directory: options.tempDirectory,
    // Rows of a scan come in the files' order (the columnar fold relies on it); DuckDB's default, pinned here.
    preserve_insertion_order: 'true',
    ...(options.memoryLimitBytes === undefined
      ? {}
      : {
          memory_limit: `${Math.floor(Math.max(MIN_DUCKDB_MEMORY_BYTES, options.memoryLimitBytes) / 2 ** 20)}MiB`,
        }),
  });
  const connection = await instance.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
