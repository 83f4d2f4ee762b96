/**
 * Runs the SQL plans of `sql-plans.ts` (none yet: see there) with an in-memory DuckDB over local copies of the lake's Parquet files:
 * a `file://` lake is read in place; files on S3 or HDFS are downloaded once per run into a scratch directory
 * (DuckDB's httpfs extension would need a download, which an offline machine cannot do).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FileSystem } from '@oxbow/connectors';
import type { AnyEvent, ViewDefinition } from '@oxbow/views';
import { BatchError } from '../errors.ts';
import type { ViewCell } from './batch-view-job.ts';
import { sqlPlanOf } from './sql-plans.ts';

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
}

/**
 * Computes `view` with DuckDB SQL over `files` (lake paths); the cells' state bytes equal the RDD path's.
 *
 * @example
 * const { cells, rowsIn } = await computeWithDuckDb(view, files, new LocalLakeFiles(lake, tmp), 2);
 */
export async function computeWithDuckDb(
  view: ViewDefinition<AnyEvent>,
  files: readonly string[],
  local: LocalLakeFiles,
  threads: number,
): Promise<{ cells: ViewCell[]; rowsIn: number }> {
  const plan = sqlPlanOf(view);
  if (plan === undefined) {
    throw new BatchError(
      'OXBOW_BATCH_NO_SQL_PLAN',
      `view "${view.name}" has no SQL plan (use --engine rdd or auto)`,
    );
  }
  if (files.length === 0) return { cells: [], rowsIn: 0 };
  const paths = await Promise.all(files.map((file) => local.pathOf(file)));
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  try {
    const cells = await plan(connection, paths);
    const list = paths.map((path) => `'${path.replaceAll("'", "''")}'`).join(', ');
    const counted = await connection.runAndReadAll(`SELECT count(*) AS n FROM read_parquet([${list}])`);
    const rowsIn = Number((counted.getRowObjectsJS()[0] as { n: bigint }).n);
    return { cells, rowsIn };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
