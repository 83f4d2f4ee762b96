/**
 * Which part of a merged answer a bucket comes from. The answer merges the batch table (every event of the sealed
 * epochs ≤ E, i.e. appended to Kafka before `(E + 1) · epochMs`) with the speed layer's increments (later
 * epochs). Buckets are by event time, epochs by append time, so the page classifies a bucket by comparing its
 * span with the watermark time: before it `batch`, after it `realtime`, across it `both`. Events that arrive late
 * (event time well before append time) are realtime inside a `batch` bucket: the shading is a guide, the numbers
 * are exact.
 */

/** Where a bucket's events were aggregated. */
export type BucketPart = 'batch' | 'realtime' | 'both';

/**
 * The part of the bucket `[startMs, startMs + bucketMs)` given the batch watermark time (`null`: no batch
 * version, everything is realtime).
 *
 * @example
 * bucketPart(0, 3_600_000, 7_200_000); // 'batch'
 */
export function bucketPart(startMs: number, bucketMs: number, watermarkMs: number | null): BucketPart {
  if (watermarkMs === null) return 'realtime';
  if (startMs + bucketMs <= watermarkMs) return 'batch';
  if (startMs >= watermarkMs) return 'realtime';
  return 'both';
}

/** The batch watermark time of a version: the end of epoch E. */
export function watermarkTimeMs(watermarkEpoch: number, epochMs: number): number {
  return (watermarkEpoch + 1) * epochMs;
}
