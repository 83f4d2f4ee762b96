/**
 * The RDD path of the batch layer, for views the SQL compiler cannot take (an aggregator of the user's own, a
 * function that hides which fields it reads): every such view of one topic is computed in **one** pass over the
 * topic's lake files. The files are read as an RDD with one partition per Parquet file (`ctx.fromSource`, read
 * inside the tasks, so on worker threads at parallelism > 1), only the columns the views read (`columnsReadBy`),
 * each row mapped back to its event once with the schema's `eventOfRow`; each task folds its events into every
 * view's states (the fold `aggregateView` does: `append` per event into one state per key and bucket), and the
 * partial states are merged across files with `plus` by `reduceByKey`. Workers load the project themselves (the
 * job's `prepare`); states leave the tasks as their codec bytes, with the presented value beside them.
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
import {
  type AnyEvent,
  bucketStart,
  loadedProject,
  loadProject,
  type Schema,
  type ViewDefinition,
} from '@oxbow/views';

/** The input of {@link batchViewJob}: plain data, shipped to every worker. */
export interface BatchViewJobInput {
  /** The project module's path (`resolveProjectPath(config.project)`); workers load it before rebuilding. */
  readonly project: string;
  /** Root URL of the lake. */
  readonly lakeUrl: string;
  /** How to open it (S3 endpoint and credentials, WebHDFS user). */
  readonly storage: OpenFileSystemOptions;
  /** The views' names in the project, all of one topic. */
  readonly views: readonly string[];
  /** The Parquet files to read, relative to the lake root, in lake order: one RDD partition each. */
  readonly files: readonly string[];
  /** The lake columns to read (default: the schema's event columns); see `columnsReadBy`. */
  readonly columns?: readonly string[];
  /** Partitions of the merged states (default: the parallelism). */
  readonly numPartitions?: number;
}

/**
 * One computed cell of a view of the job: the view's index in the input's `views`, key, bucket start (ms), the
 * aggregator state's codec bytes and its presented value.
 */
export type ViewCell = [view: number, key: string, bucketStartMs: number, state: Uint8Array, value: unknown];

/** What {@link batchViewJob} builds: the views' cells, and a counter of the events read. */
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

/** A partial or merged state of one view's cell: the view's index and the state. */
type Tagged = [view: number, state: unknown];

/** Folds one partition's events into every view: per view, one state per (key, bucket). */
function foldViews(
  views: readonly ViewDefinition<AnyEvent>[],
  events: Iterator<AnyEvent>,
): Array<[[number, string, number], Tagged]> {
  const states = views.map(() => new Map<string, Map<number, unknown>>());
  for (let next = events.next(); next.done !== true; next = events.next()) {
    const event = next.value;
    for (let index = 0; index < views.length; index++) {
      const view = views[index] as ViewDefinition<AnyEvent>;
      if (view.filter !== undefined && !view.filter(event)) continue;
      const byKey = states[index] as Map<string, Map<number, unknown>>;
      const key = view.keyOf(event);
      const bucket = bucketStart(view.timeOf(event), view.bucketMs);
      let buckets = byKey.get(key);
      if (buckets === undefined) {
        buckets = new Map();
        byKey.set(key, buckets);
      }
      const state = buckets.get(bucket);
      buckets.set(bucket, view.aggregator.append(state === undefined ? view.aggregator.zero : state, event));
    }
  }
  const partials: Array<[[number, string, number], Tagged]> = [];
  states.forEach((byKey, index) => {
    for (const [key, buckets] of byKey) {
      for (const [bucket, state] of buckets)
        partials.push([
          [index, key, bucket],
          [index, state],
        ]);
    }
  });
  return partials;
}

/**
 * Computes views of one topic of a project over the given lake files in one pass. Load the project first
 * (`await loadProject(path)`): the builder is synchronous and finds it loaded; workers load it in the job's
 * `prepare`.
 *
 * @example
 * ```ts
 * await loadProject(projectPath);
 * const ctx = new DataflowContext({ parallelism: 2 });
 * const { cells, rowsIn } = ctx.job(batchViewJob, {
 *   project: projectPath, lakeUrl, storage: {}, views: ['rides_hourly', 'rides_daily'], files,
 * });
 * await cells.collect(); // [[0, 'Utrecht', 1795957200000, Uint8Array […], { rides: 12 }], …]; rowsIn.value: events read
 * ```
 */
export const batchViewJob = defineJob(
  import.meta.url,
  'batchViewJob',
  (ctx, input: BatchViewJobInput): BatchViewJobOutput => {
    const rowsIn = ctx.longAccumulator('rowsIn');
    const project = loadedProject(input.project);
    const views = input.views.map((name) => project.view(name));
    const schema = (views[0] as ViewDefinition<AnyEvent>).schema;
    const columns = input.columns ?? schema.eventColumns;
    const files = input.files;
    // Not ctx.emptyRDD(): the driver's and a worker's rebuild of it take different RDD ids (libs/dataflow), which
    // failed a view over a topic without sealed files as "rebuilt differently in a worker".
    const events =
      files.length === 0
        ? ctx.parallelize<AnyEvent>([], 1)
        : ctx.fromSource<AnyEvent>({
            name: `parquet(${schema.name}, ${files.length} files)`,
            numPartitions: files.length,
            read: (partition) =>
              readEvents(lakeOf(input.lakeUrl, input.storage), schema, columns, files[partition] ?? ''),
          });
    const cells = events
      .mapPartitions((iterator) => {
        let read = 0;
        const counted: Iterator<AnyEvent> = {
          next: () => {
            const next = iterator.next();
            if (next.done !== true) read++;
            return next;
          },
        };
        const partials = foldViews(views, counted);
        rowsIn.add(read);
        return partials;
      })
      .reduceByKey(
        (left: Tagged, right: Tagged): Tagged => [
          left[0],
          (views[left[0]] as ViewDefinition<AnyEvent>).aggregator.plus(left[1], right[1]),
        ],
        input.numPartitions,
      )
      .map(([[index, key, bucket], [, state]]): ViewCell => {
        const aggregator = (views[index] as ViewDefinition<AnyEvent>).aggregator;
        return [index, key, bucket, aggregator.codec.serialize(state), aggregator.present(state)];
      });
    return { cells, rowsIn };
  },
  { prepare: async (input) => void (await loadProject(input.project)) },
);
