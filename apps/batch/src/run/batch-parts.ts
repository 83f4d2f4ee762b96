/**
 * A batch run split across machines (a Kubernetes Indexed Job): part `I` of `N` computes every view over its
 * slice of the sealed files and stages the partial states under `views/_parts/<partsRunId>/part-<I>-of-<N>/`; the
 * merge checks that all `N` parts are there and agree with its own listing, merges the states and publishes.
 * This module holds what both sides must agree on: the slice of a part, the staging layout, the run id, and the
 * `_part.json` marker written last by each part.
 */
import { VIEWS_DIR, type ViewCoverage } from '@oxbow/contracts';
import { BatchError } from '../errors.ts';

/** The staging directory of every run's parts. */
export const PARTS_DIR = `${VIEWS_DIR}/_parts`;

/** The name of a part's marker, written last: the part is complete once it is there. */
export const PART_MARKER = '_part.json';

/** Which part of how many a process computes. */
export interface PartOf {
  /** 0 … count − 1 (a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`). */
  readonly index: number;
  readonly count: number;
}

/** True when `id` may name a parts run (it becomes a directory name of the lake). */
export function isPartsRunId(id: string): boolean {
  return /^[A-Za-z0-9._-]{1,100}$/.test(id) && id !== '.' && id !== '..';
}

/**
 * The id the parts and the merge of one run share: the configured one (`batchRunId`, `OXBOW_BATCH_RUN_ID`), or
 * else `w<E>`, the watermark epoch the run computes to — what every process over the same sealed lake finds.
 *
 * @example
 * partsRunIdOf('', 489_012); // 'w489012'
 * partsRunIdOf('nightly-2026-12-01', 489_012); // 'nightly-2026-12-01'
 */
export function partsRunIdOf(configured: string | undefined, watermark: number): string {
  if (configured === undefined || configured === '') return `w${watermark}`;
  if (!isPartsRunId(configured)) {
    throw new BatchError(
      'OXBOW_BATCH_USAGE',
      `batch run id "${configured}": expected 1 to 100 letters, digits, ".", "_" or "-"`,
    );
  }
  return configured;
}

/** Checks `part` is a valid index of a valid count (usage errors otherwise). */
export function assertPartOf(part: PartOf): void {
  if (!Number.isSafeInteger(part.count) || part.count < 1) {
    throw new BatchError('OXBOW_BATCH_USAGE', `part count ${part.count}: expected a positive integer`);
  }
  if (!Number.isSafeInteger(part.index) || part.index < 0 || part.index >= part.count) {
    throw new BatchError(
      'OXBOW_BATCH_USAGE',
      `part index ${part.index}: expected an integer from 0 to ${part.count - 1} (count ${part.count})`,
    );
  }
}

/** `views/_parts/<partsRunId>/` */
export function partsRunDir(partsRunId: string): string {
  return `${PARTS_DIR}/${partsRunId}`;
}

/** `views/_parts/<partsRunId>/part-<I>-of-<N>` */
export function partDir(partsRunId: string, part: PartOf): string {
  return `${partsRunDir(partsRunId)}/part-${part.index}-of-${part.count}`;
}

/**
 * The files of part `index` of `count`: a contiguous range of `files` (one topic's sealed files in lake order),
 * `⌊index·F/count⌋ … ⌊(index+1)·F/count⌋ − 1`. Contiguous ranges keep every floating-point sum of the merge in the
 * order a single run adds the files' partial sums in (the parts' totals, then the next part's per-file partials).
 *
 * @example
 * sliceOf(['a', 'b', 'c', 'd', 'e'], { index: 1, count: 3 }); // ['b', 'c']
 */
export function sliceOf<T>(files: readonly T[], part: PartOf): T[] {
  const from = Math.floor((part.index * files.length) / part.count);
  const to = Math.floor(((part.index + 1) * files.length) / part.count);
  return files.slice(from, to);
}

/** One view of a part's marker. */
export interface PartView {
  readonly name: string;
  readonly fingerprint: string;
  readonly engine: 'rdd' | 'duckdb';
  /** Events this part read for the view. */
  readonly rowsIn: number;
  /** Cells (rows) of its staged table. */
  readonly cells: number;
  /** Files of its slice. */
  readonly files: number;
  /** Seconds of the pass that computed it. */
  readonly seconds: number;
  /** The coverage of the whole run (every sealed file of the view, not only the slice). */
  readonly coverage: ViewCoverage;
  /** Its staged table, relative to the lake root. */
  readonly path: string;
}

/** `_part.json`: what a part computed; the merge checks it against its own listing. */
export interface PartMarker {
  readonly format: 'oxbow-batch-part';
  readonly version: 1;
  readonly partsRunId: string;
  readonly index: number;
  readonly count: number;
  readonly watermarkEpoch: number;
  readonly views: readonly PartView[];
  readonly writtenAt: string;
}

/** The bytes of a marker. */
export function encodePartMarker(marker: PartMarker): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(marker, null, 2)}\n`);
}

/** A marker from its bytes; a file that is not one is an error naming `path`. */
export function decodePartMarker(bytes: Uint8Array, path: string): PartMarker {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new BatchError('OXBOW_BATCH_PARTS', `${path}: not JSON (${String(error)})`, { cause: error });
  }
  const marker = parsed as Partial<PartMarker> | null;
  if (
    marker === null ||
    typeof marker !== 'object' ||
    marker.format !== 'oxbow-batch-part' ||
    marker.version !== 1 ||
    typeof marker.index !== 'number' ||
    typeof marker.count !== 'number' ||
    typeof marker.watermarkEpoch !== 'number' ||
    !Array.isArray(marker.views)
  ) {
    throw new BatchError('OXBOW_BATCH_PARTS', `${path}: not an oxbow batch part marker`);
  }
  return marker as PartMarker;
}
