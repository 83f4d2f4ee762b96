/**
 * Job modules: the way a job's tasks run in other threads (and, later, other processes) whatever their functions
 * capture. A job is defined in a module by a deterministic builder; a worker imports the same module and runs the
 * builder again with the same input, getting the same lineage with live closures, so nothing but the input has to
 * be shipped. Driver-side values reach the builder only through its input (and broadcasts made from it).
 */
import type { PartitionSource } from '../rdd/nodes/source.ts';
import type { RDD } from '../rdd/rdd.ts';
import type { Broadcast, LongAccumulator } from '../shared-variables.ts';

/** What a job builder may use to make RDDs: the part of `DataflowContext` that needs no cluster. */
export interface RddFactory {
  readonly defaultParallelism: number;
  parallelize<T>(data: readonly T[], numSlices?: number): RDD<T>;
  makeRDD<T>(data: readonly T[], numSlices?: number): RDD<T>;
  emptyRDD<T>(): RDD<T>;
  union<T>(rdds: readonly RDD<T>[]): RDD<T>;
  range(start: number, end: number, step?: number, numSlices?: number): RDD<number>;
  fromSource<T>(source: PartitionSource<T>): RDD<T>;
  broadcast<T>(value: T): Broadcast<T>;
  longAccumulator(name?: string): LongAccumulator;
}

/** A job: where its module is, under which export, and how it builds its RDD from an input. */
export interface JobDefinition<I, R> {
  readonly moduleUrl: string;
  readonly exportName: string;
  /**
   * Builds the job's RDD. Must be synchronous and deterministic: the same input gives the same lineage in every
   * thread (no `Math.random()`, no clock, no driver state other than `input`).
   */
  readonly build: (factory: RddFactory, input: I) => R;
  /**
   * Awaited in a worker before `build` is replayed there, e.g. to import a user's module named by the input
   * (the driver awaits it itself before `ctx.job`). Optional.
   */
  readonly prepare?: (input: I) => Promise<void>;
}

/** Options of {@link defineJob}. */
export interface JobOptions<I> {
  /** See {@link JobDefinition.prepare}. */
  readonly prepare?: (input: I) => Promise<void>;
}

/**
 * Defines a job whose tasks can run on worker threads, whatever its functions capture.
 *
 * @param moduleUrl `import.meta.url` of the module that exports the job
 * @param exportName the name the job is exported under
 * @param options `prepare`: async work a worker awaits before rebuilding the job (e.g. loading a module)
 *
 * @example
 * ```ts
 * // word-count.job.ts
 * export const wordCount = defineJob(import.meta.url, 'wordCount', (ctx, input: { lines: string[]; stop: string[] }) => {
 *   const stop = ctx.broadcast(new Set(input.stop));
 *   return ctx.parallelize(input.lines)
 *     .flatMap((line) => line.split(' '))
 *     .filter((word) => !stop.value.has(word))
 *     .map((word): [string, number] => [word, 1])
 *     .reduceByKey((a, b) => a + b);
 * });
 * // driver
 * const counts = await ctx.job(wordCount, { lines, stop: ['the'] }).collect();
 * ```
 */
export function defineJob<I, R>(
  moduleUrl: string,
  exportName: string,
  build: (factory: RddFactory, input: I) => R,
  options: JobOptions<I> = {},
): JobDefinition<I, R> {
  return options.prepare === undefined
    ? { moduleUrl, exportName, build }
    : { moduleUrl, exportName, build, prepare: options.prepare };
}

/** One build of a job on the driver: the ids it took, in order, so a worker's rebuild takes the same ones. */
export interface JobInstance {
  readonly instanceId: number;
  readonly moduleUrl: string;
  readonly exportName: string;
  readonly input: unknown;
  readonly rddIds: number[];
  readonly shuffleIds: number[];
  readonly sharedIds: number[];
}
