/**
 * What the lake holds for the batch layer: each topic's part files and sealed epochs (named by the layout of
 * `@oxbow/contracts`), and the watermark epoch E a run may compute up to (docs/design/0002-layer-contracts.md,
 * "Batch views": the largest epoch sealed for every topic the views read, contiguous from the first epoch).
 */
import { type PartFile, parseLakePath } from '@oxbow/contracts';

/** One archived Parquet file of a topic's listing. */
export interface ListedPartFile extends PartFile {
  /** Its path, relative to the lake root. */
  readonly path: string;
  readonly size: number;
}

/** What the lake holds for one topic: its Parquet files and sealed epochs. */
export interface TopicListing {
  readonly topic: string;
  /** By epoch, partition, then first offset. */
  readonly files: readonly ListedPartFile[];
  readonly sealedEpochs: ReadonlySet<number>;
}

/**
 * Sorts the paths of one topic's listing into Parquet files and sealed epochs. Temporary files (`.`-prefixed),
 * other topics' files and anything else are ignored.
 *
 * @example
 * classifyTopicFiles('http_logs', [{ path: 'events/http_logs/epoch=7/part-0-0-99.parquet', size: 1 }]);
 */
export function classifyTopicFiles(
  topic: string,
  files: Iterable<{ readonly path: string; readonly size: number }>,
): TopicListing {
  const parts: ListedPartFile[] = [];
  const sealedEpochs = new Set<number>();
  for (const { path, size } of files) {
    const entry = parseLakePath(path);
    if (entry.kind === 'part' && entry.topic === topic) {
      const { kind: _part, ...file } = entry;
      parts.push({ ...file, path, size });
    } else if (entry.kind === 'sealed' && entry.topic === topic) {
      sealedEpochs.add(entry.epoch);
    }
  }
  parts.sort((a, b) =>
    a.epoch !== b.epoch
      ? a.epoch - b.epoch
      : a.partition !== b.partition
        ? a.partition - b.partition
        : Number(a.firstOffset - b.firstOffset),
  );
  return { topic, files: parts, sealedEpochs };
}

/**
 * The largest epoch of a topic up to which the lake is complete: every epoch holding files up to it is sealed,
 * and it is sealed itself. `undefined` when the topic has no sealed epoch before its first unsealed data.
 */
export function completeThrough(listing: TopicListing): number | undefined {
  const firstUnsealed = listing.files.find((file) => !listing.sealedEpochs.has(file.epoch))?.epoch;
  let complete: number | undefined;
  for (const epoch of listing.sealedEpochs) {
    if (firstUnsealed !== undefined && epoch >= firstUnsealed) continue;
    if (complete === undefined || epoch > complete) complete = epoch;
  }
  return complete;
}

/**
 * The watermark epoch E of a run: the largest epoch complete for every topic that has anything in the lake,
 * capped by `untilEpoch`. Topics with neither files nor seals do not hold it back; `undefined` when nothing is
 * sealed.
 */
export function watermarkEpoch(listings: readonly TopicListing[], untilEpoch?: number): number | undefined {
  let watermark: number | undefined;
  for (const listing of listings) {
    if (listing.files.length === 0 && listing.sealedEpochs.size === 0) continue;
    const complete = completeThrough(listing);
    if (complete === undefined) return undefined;
    watermark = watermark === undefined ? complete : Math.min(watermark, complete);
  }
  if (watermark !== undefined && untilEpoch !== undefined) watermark = Math.min(watermark, untilEpoch);
  return watermark;
}

/** The sealed epoch of a topic whose end offsets are the topic's end offsets at watermark `epoch`. */
export function lastSealedAtOrBefore(listing: TopicListing, epoch: number): number | undefined {
  let best: number | undefined;
  for (const sealed of listing.sealedEpochs) {
    if (sealed <= epoch && (best === undefined || sealed > best)) best = sealed;
  }
  return best;
}
