/**
 * Paths of the master dataset (docs/design/0002-layer-contracts.md):
 * `events/<topic>/epoch=<epoch>/part-<partition>-<firstOffset>-<lastOffset>.parquet` and
 * `events/<topic>/epoch=<epoch>/_sealed`. Offsets are inclusive, decimal, not padded.
 */

/** A published Parquet file of the master dataset, as named. */
export interface PartFile {
  readonly topic: string;
  readonly epoch: number;
  readonly partition: number;
  /** Inclusive Kafka offset of the first record in the file. */
  readonly firstOffset: bigint;
  /** Inclusive Kafka offset of the last record in the file. */
  readonly lastOffset: bigint;
}

/** What a path of the lake is, if it is ours. */
export type LakeEntry =
  | ({ readonly kind: 'part' } & PartFile)
  | { readonly kind: 'sealed'; readonly topic: string; readonly epoch: number }
  | { readonly kind: 'temporary'; readonly topic: string }
  | { readonly kind: 'other' };

const PART =
  /^events\/([^/]+)\/epoch=(0|[1-9][0-9]*)\/part-(0|[1-9][0-9]*)-(0|[1-9][0-9]*)-(0|[1-9][0-9]*)\.parquet$/;
const SEALED = /^events\/([^/]+)\/epoch=(0|[1-9][0-9]*)\/_sealed$/;
const TEMPORARY = /^events\/([^/]+)\/(?:[^/]+\/)*\.[^/]+$/;

/** The prefix every file of `topic` starts with: `events/<topic>/`. */
export function topicPrefix(topic: string): string {
  return `events/${topic}/`;
}

/** The directory of one epoch: `events/<topic>/epoch=<epoch>/`. */
export function epochPrefix(topic: string, epoch: number): string {
  return `${topicPrefix(topic)}epoch=${epoch}/`;
}

/**
 * The path of a part file.
 *
 * @example
 * partFilePath({ topic: 'http_logs', epoch: 489012, partition: 2, firstOffset: 100n, lastOffset: 199n });
 * // 'events/http_logs/epoch=489012/part-2-100-199.parquet'
 */
export function partFilePath(file: PartFile): string {
  return `${epochPrefix(file.topic, file.epoch)}part-${file.partition}-${file.firstOffset}-${file.lastOffset}.parquet`;
}

/** The path of an epoch's `_sealed` marker. */
export function sealedPath(topic: string, epoch: number): string {
  return `${epochPrefix(topic, epoch)}_sealed`;
}

/** Classifies a lake path (relative to the lake root). Temporary files start with `.` (Hadoop's convention). */
export function parseLakePath(path: string): LakeEntry {
  const part = PART.exec(path);
  if (part) {
    const [, topic = '', epoch = '', partition = '', first = '', last = ''] = part;
    const firstOffset = BigInt(first);
    const lastOffset = BigInt(last);
    if (lastOffset < firstOffset) return { kind: 'other' };
    return {
      kind: 'part',
      topic,
      epoch: Number(epoch),
      partition: Number(partition),
      firstOffset,
      lastOffset,
    };
  }
  const sealed = SEALED.exec(path);
  if (sealed) return { kind: 'sealed', topic: sealed[1] ?? '', epoch: Number(sealed[2]) };
  const temporary = TEMPORARY.exec(path);
  if (temporary) return { kind: 'temporary', topic: temporary[1] ?? '' };
  return { kind: 'other' };
}

/** The epoch of an append time: `floor(appendTimeMs / epochMs)`. */
export function epochOf(appendTimeMs: number, epochMs: number): number {
  return Math.floor(appendTimeMs / epochMs);
}
