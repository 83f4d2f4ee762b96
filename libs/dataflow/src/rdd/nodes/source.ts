/**
 * `SourceRDD`: partitions read asynchronously inside the task (Parquet files, objects in a store), so reading is
 * part of the task and runs in parallel on worker threads. The task runner awaits `load` for every source
 * partition a task reads before computing, and `unload` after.
 */
import { DataflowError } from '../../errors.ts';
import type { Partitioner } from '../../partitioner.ts';
import type { LineageNode, NarrowInput, NodeDescription, ShuffleDependency } from '../lineage.ts';
import type { RDD } from '../rdd.ts';

/** A partitioned input read asynchronously. */
export interface PartitionSource<T> {
  /** A name for debug strings and errors, e.g. `parquet(events/http_logs)`. */
  readonly name: string;
  readonly numPartitions: number;
  /** Reads one partition. */
  read(partition: number): Promise<Iterable<T>> | Iterable<T>;
}

export class SourceNode<T> implements LineageNode<T> {
  readonly className = 'SourceRDD';
  readonly operator: string;
  readonly numPartitions: number;
  readonly partitioner: Partitioner | undefined = undefined;
  readonly narrowParents: readonly RDD<unknown>[] = [];
  readonly shuffleDependencies: readonly ShuffleDependency[] = [];
  /** Sources run only where they were built: on the driver, or in a worker that rebuilt their job module. */
  readonly shippable = false;
  private readonly source: PartitionSource<T>;
  private readonly loaded = new Map<number, T[]>();

  constructor(source: PartitionSource<T>) {
    this.source = source;
    this.operator = source.name;
    this.numPartitions = source.numPartitions;
  }

  narrowInputs(): NarrowInput[] {
    return [];
  }

  async load(partition: number): Promise<void> {
    if (this.loaded.has(partition)) return;
    const records = await this.source.read(partition);
    this.loaded.set(partition, Array.isArray(records) ? (records as T[]) : [...records]);
  }

  unload(partition: number): void {
    this.loaded.delete(partition);
  }

  compute(partition: number): Iterable<T> {
    const records = this.loaded.get(partition);
    if (!records) {
      throw new DataflowError(
        'OXBOW_TASK_FAILED',
        `partition ${partition} of ${this.source.name} was not loaded before compute`,
      );
    }
    return records;
  }

  describe(): NodeDescription {
    throw new DataflowError(
      'OXBOW_TASK_NOT_SERIALIZABLE',
      `${this.source.name} cannot be shipped to a worker; build it inside a job module (defineJob)`,
    );
  }
}
