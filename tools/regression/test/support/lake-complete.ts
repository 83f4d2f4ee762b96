/**
 * Whether the archiver's lake holds a topic up to its end: for every partition, the part files reach the
 * partition's high watermark (the last offset of the newest file plus one).
 */
import type { FileSystem } from '@oxbow/connectors';
import { listPartFiles } from '../../../../apps/archiver/test/support/lake.ts';

/**
 * True when, for every partition in `watermarks` (partition → high watermark), the part files of `topic` in
 * `lake` end exactly at that watermark; a partition with no file counts as ending at offset 0.
 */
export async function lakeReachesWatermarks(
  lake: FileSystem,
  topic: string,
  watermarks: ReadonlyMap<number, bigint>,
): Promise<boolean> {
  const next = new Map<number, bigint>();
  for (const file of await listPartFiles(lake, topic)) {
    if (file.lastOffset + 1n > (next.get(file.partition) ?? 0n))
      next.set(file.partition, file.lastOffset + 1n);
  }
  return [...watermarks].every(([partition, high]) => (next.get(partition) ?? 0n) === high);
}
