/**
 * Where things are in the lake (docs/design/0002-layer-contracts.md), every path relative to the lake root:
 *
 * ```
 * events/<topic>/epoch=<epoch>/part-<partition>-<firstOffset>-<lastOffset>.parquet   master dataset (archiver)
 * events/<topic>/epoch=<epoch>/_sealed                                              epoch complete (archiver)
 * views/v=<runId>/…                                                                 batch-view version (batch)
 * views/_manifest.json, views/_manifests/<runId>.json, views/_lock                  (batch)
 * ```
 *
 * Offsets in part-file names are inclusive, decimal, not padded; epochs and partitions likewise. Files whose name
 * starts with `.` are temporary (Hadoop's convention), never part of the dataset.
 */
import { ContractError } from '../errors/contract-error.ts';

/** The directory of the master dataset. */
export const EVENTS_DIR = 'events';
/** The directory of the batch views. */
export const VIEWS_DIR = 'views';
/** The manifest readers follow: written last by a batch run, replaced whole. */
export const MANIFEST_PATH = `${VIEWS_DIR}/_manifest.json`;
/** The directory of the manifest of every successful run, under names never replaced (history, GC). */
export const MANIFEST_HISTORY_DIR = `${VIEWS_DIR}/_manifests`;
/** The batch run lock. */
export const LOCK_PATH = `${VIEWS_DIR}/_lock`;
/** The name of the marker of a complete epoch. */
export const SEALED_MARKER_NAME = '_sealed';

/** A Parquet file of the master dataset, as its path names it. */
export interface PartFile {
  readonly topic: string;
  readonly epoch: number;
  readonly partition: number;
  /** Inclusive Kafka offset of the first record in the file. */
  readonly firstOffset: bigint;
  /** Inclusive Kafka offset of the last record in the file (≥ `firstOffset`). */
  readonly lastOffset: bigint;
}

/** What a lake path is, if it is one of the master dataset's. */
export type LakeEntry =
  | ({ readonly kind: 'part' } & PartFile)
  | { readonly kind: 'sealed'; readonly topic: string; readonly epoch: number }
  | { readonly kind: 'temporary'; readonly topic: string }
  | { readonly kind: 'other' };

/** A non-negative decimal integer without leading zeros. */
const DECIMAL = '(0|[1-9][0-9]*)';
/** The one pattern of a part-file name: `part-<partition>-<firstOffset>-<lastOffset>.parquet`. */
const PART_FILE_NAME = new RegExp(`^part-${DECIMAL}-${DECIMAL}-${DECIMAL}\\.parquet$`);
/** An epoch directory: `epoch=<epoch>`. */
const EPOCH_DIR_NAME = new RegExp(`^epoch=${DECIMAL}$`);
/** A batch run id as it may appear in a path: one segment, not hidden. */
const RUN_ID = /^[0-9A-Za-z_-][0-9A-Za-z._-]*$/;

function requireSegment(what: string, value: string): void {
  if (value === '' || value.includes('/') || value.startsWith('.')) {
    throw new ContractError(
      'OXBOW_LAKE_LAYOUT',
      `${what} ${JSON.stringify(value)} cannot be a lake path segment`,
    );
  }
}

function requireCount(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ContractError('OXBOW_LAKE_LAYOUT', `${what} ${value} is not a non-negative integer`);
  }
}

/**
 * The prefix every file of `topic` starts with: `events/<topic>/`.
 *
 * @example
 * topicPrefix('http_logs'); // 'events/http_logs/'
 */
export function topicPrefix(topic: string): string {
  requireSegment('topic', topic);
  return `${EVENTS_DIR}/${topic}/`;
}

/**
 * The directory of one epoch of a topic: `events/<topic>/epoch=<epoch>`.
 *
 * @example
 * epochDir('http_logs', 489012); // 'events/http_logs/epoch=489012'
 */
export function epochDir(topic: string, epoch: number): string {
  requireCount('epoch', epoch);
  return `${topicPrefix(topic)}epoch=${epoch}`;
}

/** The prefix of every file of one epoch: `events/<topic>/epoch=<epoch>/` (for listing). */
export function epochPrefix(topic: string, epoch: number): string {
  return `${epochDir(topic, epoch)}/`;
}

/**
 * The name of a part file: `part-<partition>-<firstOffset>-<lastOffset>.parquet`, offsets inclusive.
 *
 * @example
 * partFileName(2, 100n, 199n); // 'part-2-100-199.parquet'
 */
export function partFileName(partition: number, firstOffset: bigint, lastOffset: bigint): string {
  requireCount('partition', partition);
  if (firstOffset < 0n || lastOffset < firstOffset) {
    throw new ContractError('OXBOW_LAKE_LAYOUT', `bad offset range ${firstOffset}..${lastOffset}`);
  }
  return `part-${partition}-${firstOffset}-${lastOffset}.parquet`;
}

/**
 * The path of a part file.
 *
 * @example
 * partFilePath({ topic: 'http_logs', epoch: 489012, partition: 2, firstOffset: 100n, lastOffset: 199n });
 * // 'events/http_logs/epoch=489012/part-2-100-199.parquet'
 */
export function partFilePath(file: PartFile): string {
  return `${epochPrefix(file.topic, file.epoch)}${partFileName(file.partition, file.firstOffset, file.lastOffset)}`;
}

/**
 * The partition and offsets a part-file name carries, or `undefined` when `name` is not one (not canonical
 * decimals, last offset before the first, another extension).
 *
 * @example
 * parsePartFileName('part-2-100-199.parquet'); // { partition: 2, firstOffset: 100n, lastOffset: 199n }
 */
export function parsePartFileName(
  name: string,
): Pick<PartFile, 'partition' | 'firstOffset' | 'lastOffset'> | undefined {
  const match = PART_FILE_NAME.exec(name);
  if (match === null) return undefined;
  const [, partitionText = '', first = '', last = ''] = match;
  const partition = Number(partitionText);
  const firstOffset = BigInt(first);
  const lastOffset = BigInt(last);
  if (!Number.isSafeInteger(partition) || lastOffset < firstOffset) return undefined;
  return { partition, firstOffset, lastOffset };
}

/**
 * The path of an epoch's `_sealed` marker.
 *
 * @example
 * sealedPath('sensor_readings', 7); // 'events/sensor_readings/epoch=7/_sealed'
 */
export function sealedPath(topic: string, epoch: number): string {
  return `${epochPrefix(topic, epoch)}${SEALED_MARKER_NAME}`;
}

/**
 * Classifies a lake path: a part file, an `_sealed` marker, a temporary file under a topic (a name starting
 * with `.`, at any depth), or anything else.
 *
 * @example
 * parseLakePath('events/t/epoch=3/_sealed'); // { kind: 'sealed', topic: 't', epoch: 3 }
 * parseLakePath('views/_manifest.json'); // { kind: 'other' }
 */
export function parseLakePath(path: string): LakeEntry {
  const segments = path.split('/');
  const [root, topic = '', dir = '', name = ''] = segments;
  if (root !== EVENTS_DIR || segments.length < 3 || segments.some((segment) => segment === '')) {
    return { kind: 'other' };
  }
  if (topic.startsWith('.')) return { kind: 'other' };
  if ((segments.at(-1) ?? '').startsWith('.')) return { kind: 'temporary', topic };
  if (segments.length !== 4) return { kind: 'other' };
  const epochMatch = EPOCH_DIR_NAME.exec(dir);
  const epoch = Number(epochMatch?.[1]);
  if (epochMatch === null || !Number.isSafeInteger(epoch)) return { kind: 'other' };
  if (name === SEALED_MARKER_NAME) return { kind: 'sealed', topic, epoch };
  const part = parsePartFileName(name);
  return part === undefined ? { kind: 'other' } : { kind: 'part', topic, epoch, ...part };
}

/**
 * The directory of one batch-view version: `views/v=<runId>`.
 *
 * @example
 * versionDir('20261124T130000000Z-0a1b2c3d'); // 'views/v=20261124T130000000Z-0a1b2c3d'
 */
export function versionDir(runId: string): string {
  requireRunId(runId);
  return `${VIEWS_DIR}/v=${runId}`;
}

/** The manifest of one run in the history directory: `views/_manifests/<runId>.json`. */
export function historyManifestPath(runId: string): string {
  requireRunId(runId);
  return `${MANIFEST_HISTORY_DIR}/${runId}.json`;
}

/**
 * The run id of a history manifest path, or `undefined` when `path` is not one (another directory, a temporary
 * file, another extension).
 *
 * @example
 * runIdOfHistoryManifest('views/_manifests/r1.json'); // 'r1'
 */
export function runIdOfHistoryManifest(path: string): string | undefined {
  const prefix = `${MANIFEST_HISTORY_DIR}/`;
  if (!path.startsWith(prefix) || !path.endsWith('.json')) return undefined;
  const runId = path.slice(prefix.length, -'.json'.length);
  return RUN_ID.test(runId) ? runId : undefined;
}

/**
 * The run id of a path inside a batch-view version directory (`views/v=<runId>/…`), or `undefined`.
 *
 * @example
 * runIdOfVersionPath('views/v=r1/views.duckdb'); // 'r1'
 */
export function runIdOfVersionPath(path: string): string | undefined {
  const prefix = `${VIEWS_DIR}/v=`;
  if (!path.startsWith(prefix)) return undefined;
  const end = path.indexOf('/', prefix.length);
  if (end < 0) return undefined;
  const runId = path.slice(prefix.length, end);
  return RUN_ID.test(runId) ? runId : undefined;
}

/** Whether `runId` may name a batch version (one path segment, not hidden). */
export function isRunIdSegment(runId: string): boolean {
  return RUN_ID.test(runId);
}

function requireRunId(runId: string): void {
  if (!RUN_ID.test(runId)) {
    throw new ContractError(
      'OXBOW_LAKE_LAYOUT',
      `run id ${JSON.stringify(runId)} cannot be a lake path segment`,
    );
  }
}
