/**
 * The batch computation of one view as a job module: the view's topic is read from the lake as an RDD with one
 * partition per Parquet file (`ctx.fromSource`, read inside the tasks, so on worker threads at parallelism > 1),
 * then folded by `aggregateView`, the same function the speed layer applies to micro-batches. States leave the
 * tasks as their codec bytes.
 */
import { type FileSystem, type OpenFileSystemOptions, openFileSystem, readParquet } from '@oxbow/connectors';
import { defineJob, type LongAccumulator, type RDD } from '@oxbow/dataflow';
import { aggregateView, type TimedEvent, type ViewDefinition, type ViewName, viewByName } from '@oxbow/views';
import {
  EVENT_COLUMNS,
  HTTP_LOG_ROW_SCHEMA,
  httpLogEventOf,
  SENSOR_READING_ROW_SCHEMA,
  sensorReadingEventOf,
} from '../lake/event-schemas.ts';

/** The input of {@link batchViewJob}: plain data, shipped to every worker. */
export interface BatchViewJobInput {
  /** Root URL of the lake. */
  readonly lakeUrl: string;
  /** How to open it (S3 endpoint and credentials, WebHDFS user). */
  readonly storage: OpenFileSystemOptions;
  readonly view: ViewName;
  /** The Parquet files to read, relative to the lake root: one RDD partition each. */
  readonly files: readonly string[];
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

async function readEvents(fs: FileSystem, view: ViewDefinition<TimedEvent, unknown, unknown>, path: string) {
  const events: TimedEvent[] = [];
  const columns = EVENT_COLUMNS[view.topic];
  if (view.topic === 'http_logs') {
    for await (const row of readParquet(fs, path, { schema: HTTP_LOG_ROW_SCHEMA, columns })) {
      events.push(httpLogEventOf(row));
    }
  } else {
    for await (const row of readParquet(fs, path, { schema: SENSOR_READING_ROW_SCHEMA, columns })) {
      events.push(sensorReadingEventOf(row));
    }
  }
  return events;
}

/**
 * Computes one view over the given lake files.
 *
 * @example
 * ```ts
 * const ctx = new DataflowContext({ parallelism: 2 });
 * const { cells, rowsIn } = ctx.job(batchViewJob, { lakeUrl, storage: {}, view: 'status_minutely', files });
 * await cells.collect(); // rowsIn.value: events read
 * ctx.schedulerStats.tasksInWorkers; // > 0: the files were read on worker threads
 * ```
 */
export const batchViewJob = defineJob(
  import.meta.url,
  'batchViewJob',
  (ctx, input: BatchViewJobInput): BatchViewJobOutput => {
    const rowsIn = ctx.longAccumulator('rowsIn');
    const view = viewByName(input.view) as unknown as ViewDefinition<TimedEvent, unknown, unknown>;
    const files = input.files;
    const events =
      files.length === 0
        ? ctx.emptyRDD<TimedEvent>()
        : ctx.fromSource<TimedEvent>({
            name: `parquet(${view.topic}, ${files.length} files)`,
            numPartitions: files.length,
            read: (partition) =>
              readEvents(lakeOf(input.lakeUrl, input.storage), view, files[partition] ?? ''),
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
);
