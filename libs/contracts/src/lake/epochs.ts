/**
 * Epochs (docs/design/0002-layer-contracts.md, "Epochs"): the epoch of a Kafka record is
 * `floor(appendTimestampMs / epochMs)`; the archiver files records by it, the batch layer computes whole epochs,
 * the speed layer keeps its increments per epoch.
 */

/**
 * The epoch of an append time: `floor(appendTimeMs / epochMs)`. `epochMs` is a positive integer
 * (`OXBOW_EPOCH_MS`).
 *
 * @example
 * epochOf(1_999, 1_000); // 1
 * epochOf(Date.UTC(2025, 9, 14, 12), 3_600_000); // 488052
 */
export function epochOf(appendTimeMs: number, epochMs: number): number {
  return Math.floor(appendTimeMs / epochMs);
}
