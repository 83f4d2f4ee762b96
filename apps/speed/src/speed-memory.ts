/**
 * How much the speed layer may hold, derived from the memory the process has rather than fixed low numbers: the
 * records of one micro-batch, the records fetched ahead per partition, and the states of the (view, epoch,
 * partition, key, bucket) cells kept in memory between batches. Everything scales with V8's heap limit
 * (`--max-old-space-size`, by default about a quarter of the machine's memory, at most 4 GiB), so giving the
 * process more memory gives it larger batches and more cached cells.
 */
import { getHeapStatistics } from 'node:v8';

/** What one record costs while it waits in a batch: its bytes as fetched, the parsed event, the Kafka record. */
export const BYTES_PER_BATCH_RECORD = 2_048;
/** Partitions one instance is assumed to catch up at once when sizing a partition's share of a batch. */
export const PARTITIONS_SHARING_A_BATCH = 4;

/** The memory bounds of a speed service. */
export interface SpeedMemory {
  /** The V8 heap limit the bounds were derived from (bytes). */
  readonly heapLimitBytes: number;
  /** Records one partition may give to one batch (the source's cap: rate × batch interval). */
  readonly batchRecordsPerPartition: number;
  /** Fetched, not yet cut records buffered per partition before fetching pauses. */
  readonly bufferedRecordsPerPartition: number;
  /** Estimated bytes of cell states kept in memory; past it, the least recently used cell groups are evicted. */
  readonly cellBytes: number;
}

/** Overrides of {@link deriveSpeedMemory}, for tests and embedders. */
export type SpeedMemoryOverrides = Partial<Omit<SpeedMemory, 'heapLimitBytes'>>;

/**
 * The bounds for a heap of `heapLimitBytes`: a thirty-second of it for the records of one batch (shared by
 * {@link PARTITIONS_SHARING_A_BATCH} partitions), as much again fetched ahead, and a quarter for cached cell
 * states; the rest is left to the live views, the engine, the runtime and Redis replies. Larger batches gain
 * nothing: their fixed costs are already small next to their records, while every record of a batch lives for the
 * whole batch, so the garbage collector copies and marks more of them (measured: batches of 4 × 32 768 records
 * cost 15–20 % more CPU per event than 4 × 16 384, and smaller ones no less).
 *
 * @example
 * ```ts
 * deriveSpeedMemory(4 * 2 ** 30); // { batchRecordsPerPartition: 16384, bufferedRecordsPerPartition: 16384, cellBytes: 1073741824, … }
 * ```
 */
export function deriveSpeedMemory(
  heapLimitBytes: number = getHeapStatistics().heap_size_limit,
  overrides: SpeedMemoryOverrides = {},
): SpeedMemory {
  const batchRecordsPerPartition = Math.max(
    1_000,
    Math.floor(heapLimitBytes / 32 / BYTES_PER_BATCH_RECORD / PARTITIONS_SHARING_A_BATCH),
  );
  const bufferedRecordsPerPartition = batchRecordsPerPartition;
  const cellBytes = Math.max(16 * 2 ** 20, Math.floor(heapLimitBytes / 4));
  return {
    heapLimitBytes,
    batchRecordsPerPartition: overrides.batchRecordsPerPartition ?? batchRecordsPerPartition,
    bufferedRecordsPerPartition: overrides.bufferedRecordsPerPartition ?? bufferedRecordsPerPartition,
    cellBytes: overrides.cellBytes ?? cellBytes,
  };
}
