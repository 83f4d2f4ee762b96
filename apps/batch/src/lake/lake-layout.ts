/**
 * Where things are in the lake (docs/design/0002-layer-contracts.md): the master dataset under
 * `events/<topic>/epoch=<epoch>/`, its `_sealed` markers, and the batch views under `views/`.
 */
import { BatchError } from '../errors.ts';

/** The directory of the batch views, relative to the lake root. */
export const VIEWS_DIR = 'views';
/** The manifest readers follow. */
export const MANIFEST_PATH = `${VIEWS_DIR}/_manifest.json`;
/** The directory of the manifests of every successful run, never replaced. */
export const MANIFEST_HISTORY_DIR = `${VIEWS_DIR}/_manifests`;
/** The run lock. */
export const LOCK_PATH = `${VIEWS_DIR}/_lock`;

/** The directory of one batch-view version. */
export function versionDir(runId: string): string {
  return `${VIEWS_DIR}/v=${runId}`;
}

/** The manifest of one run in the history directory. */
export function historyManifestPath(runId: string): string {
  return `${MANIFEST_HISTORY_DIR}/${runId}.json`;
}

/** The directory of one epoch of a topic. */
export function epochDir(topic: string, epoch: number): string {
  return `events/${topic}/epoch=${epoch}`;
}

/** The name of an archived Parquet file: `part-<partition>-<firstOffset>-<lastOffset>.parquet`. */
export function partFileName(
  partition: number,
  firstOffset: bigint | number,
  lastOffset: bigint | number,
): string {
  return `part-${partition}-${firstOffset}-${lastOffset}.parquet`;
}

/** The `_sealed` marker of an epoch. */
export function sealedPath(topic: string, epoch: number): string {
  return `${epochDir(topic, epoch)}/_sealed`;
}

/** The content of an `_sealed` marker. */
export interface SealedMarker {
  readonly topic: string;
  readonly epoch: number;
  readonly epochMs: number;
  readonly sealedAt: string;
  /** Per partition, the first offset that belongs to a later epoch (decimal string). */
  readonly endOffsets: Readonly<Record<string, string>>;
}

/** One archived Parquet file. */
export interface PartFile {
  readonly path: string;
  readonly epoch: number;
  readonly partition: number;
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  readonly size: number;
}

/** What the lake holds for one topic: its Parquet files and sealed epochs. */
export interface TopicListing {
  readonly topic: string;
  readonly files: readonly PartFile[];
  readonly sealedEpochs: ReadonlySet<number>;
}

const PART_FILE = /^events\/([^/]+)\/epoch=(\d+)\/part-(\d+)-(\d+)-(\d+)\.parquet$/;
const SEALED_FILE = /^events\/([^/]+)\/epoch=(\d+)\/_sealed$/;

/**
 * Sorts the paths of one topic's listing into Parquet files and sealed epochs. Hidden files (temporary uploads,
 * `.`-prefixed) and anything else are ignored.
 *
 * @example
 * classifyTopicFiles('http_logs', [{ path: 'events/http_logs/epoch=7/part-0-0-99.parquet', size: 1 }]);
 */
export function classifyTopicFiles(
  topic: string,
  files: Iterable<{ readonly path: string; readonly size: number }>,
): TopicListing {
  const parts: PartFile[] = [];
  const sealedEpochs = new Set<number>();
  for (const { path, size } of files) {
    const part = PART_FILE.exec(path);
    if (part !== null && part[1] === topic) {
      parts.push({
        path,
        epoch: Number(part[2]),
        partition: Number(part[3]),
        firstOffset: BigInt(part[4] ?? '0'),
        lastOffset: BigInt(part[5] ?? '0'),
        size,
      });
      continue;
    }
    const sealed = SEALED_FILE.exec(path);
    if (sealed !== null && sealed[1] === topic) sealedEpochs.add(Number(sealed[2]));
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

/** Parses and checks an `_sealed` marker. */
export function parseSealedMarker(bytes: Uint8Array, path: string): SealedMarker {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new BatchError('OXBOW_BATCH_LAKE_LAYOUT', `${path} is not JSON: ${String(error)}`, {
      cause: error,
    });
  }
  const marker = value as Partial<SealedMarker> | null;
  if (
    marker === null ||
    typeof marker !== 'object' ||
    typeof marker.endOffsets !== 'object' ||
    marker.endOffsets === null
  ) {
    throw new BatchError('OXBOW_BATCH_LAKE_LAYOUT', `${path} has no endOffsets object`);
  }
  const endOffsets: Record<string, string> = {};
  for (const [partition, offset] of Object.entries(marker.endOffsets)) endOffsets[partition] = String(offset);
  return {
    topic: String(marker.topic ?? ''),
    epoch: Number(marker.epoch),
    epochMs: Number(marker.epochMs),
    sealedAt: String(marker.sealedAt ?? ''),
    endOffsets,
  };
}
