/**
 * How many records each partition may contribute to one batch, after Spark's `DirectKafkaInputDStream
 * .maxMessagesPerPartition`: the static `maxRatePerPartition` cap and, with backpressure, the estimated total rate
 * shared among partitions in proportion to their lag.
 */

/** Inputs of {@link maxRecordsPerPartition}. */
export interface BatchLimitInputs {
  /** The batch interval (ms). */
  batchIntervalMs: number;
  /** Records per second per partition, if capped. */
  maxRatePerPartition?: number | undefined;
  /** The backpressure estimate in records per second over all partitions, if there is one yet. */
  estimatedRate?: number | undefined;
}

/**
 * The most records each partition may give to the next batch, keyed like `lags`. `Infinity` means no limit. A
 * partition with lag is always allowed at least one record, so a low rate never stalls the stream.
 *
 * @example
 * maxRecordsPerPartition(new Map([['t:0', 300n], ['t:1', 100n]]), { batchIntervalMs: 1000, estimatedRate: 200 });
 * // Map { 't:0' => 150, 't:1' => 50 }
 */
export function maxRecordsPerPartition(
  lags: ReadonlyMap<string, bigint>,
  inputs: BatchLimitInputs,
): Map<string, number> {
  const seconds = inputs.batchIntervalMs / 1000;
  const cap =
    inputs.maxRatePerPartition !== undefined && inputs.maxRatePerPartition > 0
      ? inputs.maxRatePerPartition
      : undefined;
  const estimate =
    inputs.estimatedRate !== undefined && inputs.estimatedRate > 0 ? inputs.estimatedRate : undefined;
  let totalLag = 0;
  for (const lag of lags.values()) totalLag += Number(lag > 0n ? lag : 0n);
  const limits = new Map<string, number>();
  for (const [key, lag] of lags) {
    let rate = Number.POSITIVE_INFINITY;
    if (estimate !== undefined) rate = totalLag > 0 ? (Number(lag > 0n ? lag : 0n) / totalLag) * estimate : 0;
    if (cap !== undefined) rate = Math.min(rate, cap);
    limits.set(key, rate === Number.POSITIVE_INFINITY ? rate : Math.max(1, Math.floor(rate * seconds)));
  }
  return limits;
}
