/**
 * `runLakeSql`: ad-hoc DuckDB SQL over the lake — each project topic a table over its Parquet part files, each
 * view of the current batch manifest a table of the published DuckDB file — with a row limit and a time limit.
 * One function for every front end: `oxbow sql` and the serving API's `POST /v1/sql` call it.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  type BatchManifest,
  ContractError,
  decodeManifest,
  MANIFEST_PATH,
  parseLakePath,
  topicPrefix,
} from '@oxbow/contracts';
import { ConnectorError } from '../errors.ts';
import type { ParquetType } from '../parquet/schema.ts';
import type { FileSystem } from '../storage/file-system.ts';
import { openFileSystem } from '../storage/open-file-system.ts';
import { SqlError } from './errors.ts';
import { closeSession, openSession, QueryStop, runQuery, type SqlResult } from './run-query.ts';
import { mentions, quoteIdentifier, quoteLiteral } from './sql-values.ts';

/** The settings `runLakeSql` reads (a subset of `OxbowConfig` of `@oxbow/config`). */
export interface LakeSqlConfig {
  /** The lake's root URL: `file://`, `s3://` or `hdfs://`. */
  readonly lake: string;
  readonly s3Endpoint?: string;
  readonly s3AccessKey?: string;
  readonly s3SecretKey?: string;
  readonly s3Region?: string;
}

/** A column of a topic in the lake (a `LakeColumn` of `@oxbow/views`). */
export interface LakeSqlColumn {
  readonly name: string;
  readonly type: ParquetType;
  readonly optional?: boolean;
}

/** What `runLakeSql` needs of a project: its topics and their lake columns (a `Project` of `@oxbow/views` fits). */
export interface LakeSqlProject {
  readonly topics: ReadonlyMap<string, { readonly lakeColumns: readonly LakeSqlColumn[] }>;
}

/** A Kafka topic archived as a project topic (a `TopicBinding` of `@oxbow/views` fits). */
export interface LakeSqlBinding {
  /** The Kafka topic: the lake directory `events/<kafkaTopic>/`. */
  readonly kafkaTopic: string;
  /** The project topic (the table's name). */
  readonly topic: string;
}

/** Options of {@link runLakeSql}. */
export interface LakeSqlOptions {
  /** The project whose topics become tables. */
  readonly project: LakeSqlProject;
  /**
   * Which Kafka topics are archived as which project topic: `bindTopics(project, config.archiverTopics)` of
   * `@oxbow/views`. Default: each project topic under its own name.
   */
  readonly bindings?: readonly LakeSqlBinding[];
  /** Rows returned at most (default {@link LAKE_SQL_DEFAULTS}`.limit`); `truncated` says when rows were left out. */
  readonly limit?: number;
  /** Time limit of the whole call — listing, downloads and the query — in milliseconds (default 30 s). */
  readonly timeoutMs?: number;
  /** Stops the call (`OXBOW_SQL_CANCELLED`), e.g. when the HTTP client goes away. */
  readonly signal?: AbortSignal;
  /** Where the temporary directory (downloads of remote lakes, DuckDB's spill files) is made. Default: the OS's. */
  readonly tempDir?: string;
  /** DuckDB configuration options, as strings (e.g. `{ threads: '2', memory_limit: '2GB' }`). */
  readonly settings?: Readonly<Record<string, string>>;
}

/** The defaults of {@link LakeSqlOptions}. */
export const LAKE_SQL_DEFAULTS = { limit: 1000, timeoutMs: 30_000 } as const;

/** A table the query could read. */
export interface LakeSqlTable {
  readonly name: string;
  /** `topic`: Parquet part files of the master dataset; `view`: a table of the published batch views. */
  readonly kind: 'topic' | 'view';
  /** For a topic the query names: how many part files its table reads. */
  readonly files?: number;
}

/** What {@link runLakeSql} returns. */
export interface LakeSqlResult extends SqlResult {
  /** The row limit applied. */
  readonly limit: number;
  readonly elapsedMs: number;
  readonly tables: readonly LakeSqlTable[];
  /** The batch-view version the views came from, if one is published. */
  readonly batch: { readonly runId: string; readonly watermarkEpoch: number } | undefined;
}

const DUCKDB_TYPES: Readonly<Record<ParquetType, string>> = {
  string: 'VARCHAR',
  int32: 'INTEGER',
  int64: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
};

/** The catalog name of the attached batch-view database. */
const BATCH_CATALOG = 'batch';

interface TopicTable {
  readonly name: string;
  readonly directories: readonly string[];
  readonly columns: readonly LakeSqlColumn[];
}

/**
 * Project topic → the lake directories holding it, as the batch layer reads them: every Kafka topic bound to it,
 * and its own name when no binding names it and no binding uses that name for another topic.
 */
function topicTables(project: LakeSqlProject, bindings: readonly LakeSqlBinding[] | undefined): TopicTable[] {
  const directories = new Map<string, string[]>();
  for (const binding of bindings ?? []) {
    const known = directories.get(binding.topic);
    if (known === undefined) directories.set(binding.topic, [binding.kafkaTopic]);
    else if (!known.includes(binding.kafkaTopic)) known.push(binding.kafkaTopic);
  }
  const kafkaTopics = new Set((bindings ?? []).map((binding) => binding.kafkaTopic));
  return [...project.topics].map(([name, schema]) => ({
    name,
    directories: directories.get(name) ?? (kafkaTopics.has(name) ? [] : [name]),
    columns: schema.lakeColumns,
  }));
}

/** Where the lake's files are read from by DuckDB: the lake itself (`file://`) or a download directory. */
class LocalFiles {
  readonly #fs: FileSystem;
  readonly #root: string | undefined;
  readonly #downloads: string;
  readonly #stop: QueryStop;

  constructor(fs: FileSystem, lake: string, downloads: string, stop: QueryStop) {
    this.#fs = fs;
    this.#downloads = downloads;
    this.#stop = stop;
    if (lake.startsWith('file:')) {
      const root = fileURLToPath(lake);
      this.#root = root.length > 1 && root.endsWith(sep) ? root.slice(0, -1) : root;
    }
  }

  /** The directories DuckDB may read. */
  get directories(): string[] {
    return [...(this.#root === undefined ? [] : [this.#root]), this.#downloads].map((dir) => `${dir}${sep}`);
  }

  /** A local path of the lake file `path`, downloading it first when the lake is not local. */
  async localPath(path: string): Promise<string> {
    this.#stop.check();
    if (this.#root !== undefined) return join(this.#root, ...path.split('/'));
    const local = join(this.#downloads, 'lake', ...path.split('/'));
    await mkdir(dirname(local), { recursive: true });
    await pipeline(await this.#fs.openReadStream(path), createWriteStream(local));
    return local;
  }
}

async function listPartFiles(
  fs: FileSystem,
  directories: readonly string[],
  stop: QueryStop,
): Promise<string[]> {
  const paths: string[] = [];
  for (const directory of directories) {
    for await (const file of fs.list(topicPrefix(directory))) {
      stop.check();
      const entry = parseLakePath(file.path);
      if (entry.kind === 'part' && entry.topic === directory) paths.push(file.path);
    }
  }
  return paths.sort();
}

async function readManifest(fs: FileSystem): Promise<BatchManifest | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return decodeManifest(await fs.read(MANIFEST_PATH), MANIFEST_PATH);
    } catch (error) {
      if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return undefined;
      // A torn read while a batch run replaces the manifest: read again.
      if (attempt < 3 && ContractError.is(error, 'OXBOW_MANIFEST_INVALID') && error.retriable) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      throw error;
    }
  }
}

/** A view of no rows with the topic's columns: a topic with no files, or one the query does not name. */
function emptyTopicSql(columns: readonly string[]): string {
  return `SELECT ${columns.join(', ')} WHERE false`;
}

async function createTopicTable(
  connection: DuckDBConnection,
  table: TopicTable,
  files: readonly string[] | undefined,
  stop: QueryStop,
): Promise<void> {
  const name = quoteIdentifier(table.name);
  const epochColumn = table.columns.some((column) => column.name.toLowerCase() === 'epoch') ? [] : ['epoch'];
  const typed = (column: string, type: string) => `CAST(NULL AS ${type}) AS ${quoteIdentifier(column)}`;
  if (files === undefined || files.length === 0) {
    const columns = [
      ...table.columns.map((column) => typed(column.name, DUCKDB_TYPES[column.type])),
      ...epochColumn.map((column) => typed(column, 'BIGINT')),
    ];
    await stop.during(connection, () => connection.run(`CREATE VIEW ${name} AS ${emptyTopicSql(columns)}`));
    return;
  }
  const source = `read_parquet([${files.map(quoteLiteral).join(', ')}], union_by_name = true, hive_partitioning = true, hive_types = {'epoch': BIGINT})`;
  // Columns no file has yet (an optional field added to the schema) read as typed NULLs.
  const described = await stop.during(connection, () =>
    connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`),
  );
  const present = new Set(described.getRowObjectsJS().map((row) => String(row.column_name)));
  const columns = [
    ...table.columns.map((column) =>
      present.has(column.name) ? quoteIdentifier(column.name) : typed(column.name, DUCKDB_TYPES[column.type]),
    ),
    ...epochColumn,
  ];
  await stop.during(connection, () =>
    connection.run(`CREATE VIEW ${name} AS SELECT ${columns.join(', ')} FROM ${source}`),
  );
}

function checkLimits(limit: number, timeoutMs: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new SqlError('OXBOW_SQL_INVALID', `limit must be a non-negative integer, got ${limit}`);
  }
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new SqlError('OXBOW_SQL_INVALID', `timeoutMs must be a positive integer, got ${timeoutMs}`);
  }
}

/**
 * Runs one `SELECT` over the lake and returns at most `limit` rows.
 *
 * - **Topics**: each project topic is a view named like it, over the part files of `events/<kafkaTopic>/` of every
 *   Kafka topic archived as it (sealed epochs and the open one alike), projected onto the schema's lake columns
 *   (fields, then `kafkaPartition`, `kafkaOffset`, `appendTimeMs`) plus `epoch` (from the `epoch=<e>` directory,
 *   unless a field is named so). DuckDB reads only the columns and, with `WHERE epoch …`, the files a query
 *   needs. A column no file has yet reads as NULL. Only the topics the query names are listed (a topic it does not
 *   name is an empty view with the same columns, for `SHOW TABLES` and `DESCRIBE`).
 * - **Batch views**: the DuckDB file of the current manifest is attached read-only as catalog `batch`; each view
 *   is `batch.<view>`, and `<view>` too unless a topic has that name.
 * - **Remote lakes** (`s3://`, `hdfs://`): the part files of the named topics and the DuckDB file are downloaded
 *   to a temporary directory first (DuckDB's httpfs extension is not used), within the time limit.
 * - **Safety**: one statement, `SELECT` only (also `SHOW`, `DESCRIBE`, `SUMMARIZE`, `FROM t`); DuckDB may read
 *   the lake's directory and the temporary one, nothing else, and the query cannot change the configuration.
 * - **Limits**: rows past `limit` are not read (`truncated: true`); past `timeoutMs` the query is interrupted
 *   (`OXBOW_SQL_TIMEOUT`).
 *
 * Errors: `SqlError` (`OXBOW_SQL_INVALID` for a query that does not parse or bind or is not a `SELECT`,
 * `OXBOW_SQL_TIMEOUT`, `OXBOW_SQL_CANCELLED`, `OXBOW_SQL_FAILED`), `ConnectorError` from the lake,
 * `ContractError` for a manifest that breaks the contract.
 *
 * @example
 * ```ts
 * const project = await loadProject(resolveProjectPath(config.project)); // @oxbow/views
 * const result = await runLakeSql(config, 'SELECT status, count(*) AS n FROM http_logs GROUP BY ALL ORDER BY n DESC', {
 *   project,
 *   bindings: bindTopics(project, config.archiverTopics),
 *   limit: 100,
 *   timeoutMs: 10_000,
 * });
 * result.columns; // [{ name: 'status', type: 'INTEGER' }, { name: 'n', type: 'BIGINT' }]
 * result.rows; // [{ status: 200, n: 18234 }, …]
 * ```
 */
export async function runLakeSql(
  config: LakeSqlConfig,
  query: string,
  options: LakeSqlOptions,
): Promise<LakeSqlResult> {
  const started = performance.now();
  const limit = options.limit ?? LAKE_SQL_DEFAULTS.limit;
  const timeoutMs = options.timeoutMs ?? LAKE_SQL_DEFAULTS.timeoutMs;
  checkLimits(limit, timeoutMs);
  const stop = new QueryStop({ timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  const fs = openFileSystem(config.lake, {
    s3: {
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      ...(config.s3Region ? { region: config.s3Region } : {}),
      ...(config.s3AccessKey ? { accessKeyId: config.s3AccessKey } : {}),
      ...(config.s3SecretKey ? { secretAccessKey: config.s3SecretKey } : {}),
      forcePathStyle: true,
    },
  });
  const temp = await mkdtemp(join(options.tempDir ?? tmpdir(), 'oxbow-sql-'));
  try {
    const files = new LocalFiles(fs, config.lake, temp, stop);
    const session = await openSession({ ...options.settings, temp_directory: join(temp, 'spill') });
    try {
      const { connection } = session;
      const tables: LakeSqlTable[] = [];
      const topicNames = new Set<string>();
      for (const table of topicTables(options.project, options.bindings)) {
        topicNames.add(table.name.toLowerCase());
        if (!mentions(query, table.name)) {
          await createTopicTable(connection, table, undefined, stop);
          tables.push({ name: table.name, kind: 'topic' });
          continue;
        }
        const paths = await listPartFiles(fs, table.directories, stop);
        const locals: string[] = [];
        for (const path of paths) locals.push(await files.localPath(path));
        await createTopicTable(connection, table, locals, stop);
        tables.push({ name: table.name, kind: 'topic', files: locals.length });
      }
      stop.check();
      const manifest = await readManifest(fs);
      if (manifest !== undefined) {
        const database = await files.localPath(manifest.duckdb);
        await stop.during(connection, () =>
          connection.run(`ATTACH ${quoteLiteral(database)} AS ${BATCH_CATALOG} (READ_ONLY)`),
        );
        for (const view of manifest.views) {
          tables.push({ name: view.name, kind: 'view' });
          if (topicNames.has(view.name.toLowerCase())) continue;
          await stop.during(connection, () =>
            connection.run(
              `CREATE VIEW ${quoteIdentifier(view.name)} AS SELECT * FROM ${BATCH_CATALOG}.main.${quoteIdentifier(view.name)}`,
            ),
          );
        }
      }
      // From here on DuckDB reads the lake and the temporary directory only, and the query cannot undo it.
      await stop.during(connection, async () => {
        await connection.run(`SET allowed_directories = [${files.directories.map(quoteLiteral).join(', ')}]`);
        await connection.run('SET autoinstall_known_extensions = false');
        await connection.run('SET autoload_known_extensions = false');
        await connection.run('SET enable_external_access = false');
        await connection.run('SET lock_configuration = true');
      });
      const result = await runQuery(connection, query, stop, { limit, selectOnly: true });
      return {
        ...result,
        limit,
        elapsedMs: Math.round(performance.now() - started),
        tables,
        batch:
          manifest === undefined
            ? undefined
            : { runId: manifest.runId, watermarkEpoch: manifest.watermarkEpoch },
      };
    } finally {
      closeSession(session);
    }
  } catch (error) {
    if (stop.reason !== undefined && !SqlError.is(error)) throw stop.error(error);
    throw error;
  } finally {
    stop.dispose();
    await fs.close();
    await rm(temp, { recursive: true, force: true });
  }
}
