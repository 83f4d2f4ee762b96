/**
 * The batch computation of one view of the user's project as a job module: the lake files of the view's topic are
 * read as an RDD with one partition per Parquet file (`ctx.fromSource`, read inside the tasks, so on worker
 * threads at parallelism > 1), each row mapped back to its event with the schema's `eventOfRow`, then folded by
 * `aggregateView`, the same function the speed layer applies to micro-batches. Workers load the project
 * themselves (the job's `prepare`); states leave the tasks as their codec bytes.
 */
import {
  defineParquetSchema,
  type FileSystem,
  type OpenFileSystemOptions,
  openFileSystem,
  type ParquetSchema,
  readParquet,
} from '@oxbow/connectors';
import { defineJob, type LongAccumulator, type RDD } from '@oxbow/dataflow';
import { type AnyEvent, aggregateView, loadedProject, loadProject, type Schema } from '@oxbow/views';

/** The input of {@link batchViewJob}: plain data, shipped to every worker. */
export interface BatchViewJobInput {
  /** The project module's path (`resolveProjectPath(config.project)`); workers load it before rebuilding. */
  readonly project: string;
  /** Root URL of the lake. */
  readonly lakeUrl: string;
  /** How to open it (S3 endpoint and credentials, WebHDFS user). */
  readonly storage: OpenFileSystemOptions;
  /** The view's name in the project. */
  readonly view: string;
  /** The Parquet files to read, relative to the lake root: one RDD partition each. */
  readonly files: readonly string[];
  /** The lake columns to read (default: the schema's event columns); see `columnsReadBy`. */
  readonly columns?: readonly string[];
  /** Partitions of the merged states (default: the parallelism). */
  readonly numPartitions?: number;
}

/** One computed cell of a view: key, bucket start (ms) and the aggregator state's codec bytes. */
export type ViewCell = [key: string, bucketStartMs: number, state: Uint8Array];

/** What {@link batchViewJob} builds: the view's cells, and a counter of the events read. */
export interface BatchViewJobOutput {
  readonly cells: RDD<ViewCell>;
  readonly rowsIn: LongAccumulator;
}

const openLakes = new Map<string, FileSystem>();

/** One open file system per lake and thread, reused by every task of every job that reads it. */
function lakeOf(url: string, storage: OpenFileSystemOptions): FileSystem {
  const id = JSON.stringify([url, storage]);
  let fs = openLakes.get(id);
  if (fs === undefined) {
    fs = openFileSystem(url, storage);
    openLakes.set(id, fs);
  }
  return fs;
}

const parquetSchemas = new WeakMap<Schema<AnyEvent>, ParquetSchema>();

/** The Parquet row schema of a topic's lake files: the schema's lake columns (fields, then Kafka metadata). */
function parquetSchemaOf(schema: Schema<AnyEvent>): ParquetSchema {
  let parquet = parquetSchemas.get(schema);
  if (parquet === undefined) {
    parquet = defineParquetSchema(schema.lakeColumns);
    parquetSchemas.set(schema, parquet);
  }
  return parquet;
}

async function readEvents(
  fs: FileSystem,
  schema: Schema<AnyEvent>,
  columns: readonly string[],
  path: string,
): Promise<AnyEvent[]> {
  const events: AnyEvent[] = [];
  for await (const row of readParquet(fs, path, { schema: parquetSchemaOf(schema), columns })) {
    events.push(schema.eventOfRow(row));
  }
  return events;
}

/**
 * Computes one view of a project over the given lake files. Load the project first (`await loadProject(path)`):
 * the builder is synchronous and finds it loaded; workers load it in the job's `prepare`.
 *
 * @example
 * ```ts
 * await loadProject(projectPath);
 * const ctx = new DataflowContext({ parallelism: 2 });
 * const { cells, rowsIn } = ctx.job(batchViewJob, { project: projectPath, lakeUrl, storage: {}, view: 'rides_hourly', files });
 * await cells.collect(); // rowsIn.value: events read
 * ctx.schedulerStats.tasksInWorkers; // > 0: the files were read on worker threads
 * ```
 */
export const batchViewJob = defineJob(
  import.meta.url,
  'batchViewJob',
  (ctx, input: BatchViewJobInput): BatchViewJobOutput => {
    const rowsIn = ctx.longAccumulator('rowsIn');
    const view = loadedProject(input.project).view(input.view);
    const schema = view.schema;
    const columns = input.columns ?? schema.eventColumns;
    const files = input.files;
    // Not ctx.emptyRDD(): the driver's and a worker's rebuild of it take different RDD ids (libs/dataflow), which
    // failed a view over a topic without sealed files as "rebuilt differently in a worker".
    const events =
      files.length === 0
        ? ctx.parallelize<AnyEvent>([], 1)
        : ctx.fromSource<AnyEvent>({
            name: `parquet(${view.topic}, ${files.length} files)`,
            numPartitions: files.length,
            read: (partition) =>
              readEvents(lakeOf(input.lakeUrl, input.storage), schema, columns, files[partition] ?? ''),
          });
    const counted = events.mapPartitions(function* (iterator) {
      let read = 0;
      for (let next = iterator.next(); next.done !== true; next = iterator.next()) {
        read++;
        yield next.value;
      }
      rowsIn.add(read);
    });
    const codec = view.aggregator.codec;
    const cells = aggregateView(view, counted, input.numPartitions).map(
      ([[key, bucket], state]): ViewCell => [key, bucket, codec.serialize(state)],
    );
    return { cells, rowsIn };
  },
  { prepare: async (input) => void (await loadProject(input.project)) },
);
