/**
 * The batch manifest (docs/design/0002-layer-contracts.md, "Batch views"): what a published version holds and
 * up to which epoch. `_manifest.json` is written last, as a whole object; `_manifests/<runId>.json` keeps the same
 * content under a name never replaced.
 */
import { ConnectorError, type FileSystem } from '@oxbow/connectors';
import { BatchError } from '../errors.ts';
import { MANIFEST_HISTORY_DIR, MANIFEST_PATH } from '../lake/lake-layout.ts';

/** One view of a published version. */
export interface ManifestView {
  readonly name: string;
  readonly rows: number;
  /** The view's Parquet file, relative to the lake root. */
  readonly parquet: string;
  /** Events read for this view (rows in), and how long it took. Not in the contract's example; extra fields are allowed. */
  readonly rowsIn?: number;
  readonly engine?: 'rdd' | 'duckdb';
  readonly computeMs?: number;
  /**
   * The view definition's fingerprint (`view.fingerprint` of `@oxbow/views`: 16 hex digits) the table was
   * computed with. Absent in manifests written before fingerprints: read that as "unknown fingerprint".
   */
  readonly fingerprint?: string;
  /** `full`: recomputed from every sealed epoch; `incremental`: the previous version merged with the new epochs. */
  readonly mode?: 'full' | 'incremental';
  /** What the table covers, so the next run can tell whether it may merge new epochs into it. */
  readonly coverage?: ViewCoverage;
}

/**
 * The lake files a view's table covers: every Parquet file of its lake topics in the sealed epochs ≤ the manifest's
 * `watermarkEpoch`. A later run merges new epochs into the table only when the files up to that epoch are still
 * exactly these (same paths and sizes): sealed epochs never change, but a topic archived or renamed later could.
 */
export interface ViewCoverage {
  /** The lake directories (Kafka topics) read, sorted. */
  readonly lakeTopics: readonly string[];
  /** How many files. */
  readonly files: number;
  /** SHA-256 (first 16 hex digits) of the files' `path size` lines, sorted by path. */
  readonly filesDigest: string;
}

/** The manifest of one successful run. */
export interface BatchManifest {
  readonly format: 'oxbow-batch-manifest';
  readonly version: 1;
  readonly runId: string;
  readonly epochMs: number;
  readonly watermarkEpoch: number;
  /** Per topic, per partition: the first offset after epoch E (decimal strings). */
  readonly endOffsets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly views: readonly ManifestView[];
  /** The DuckDB file, relative to the lake root. */
  readonly duckdb: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationsMs: { readonly read: number; readonly compute: number; readonly write: number };
}

/** The bytes of a manifest (pretty JSON, one trailing newline). */
export function encodeManifest(manifest: BatchManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** Parses a manifest, checking its format tag and version. */
export function decodeManifest(bytes: Uint8Array, path: string): BatchManifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new BatchError('OXBOW_BATCH_MANIFEST', `${path} is not JSON: ${String(error)}`, {
      cause: error,
      retriable: true,
    });
  }
  const manifest = value as Partial<BatchManifest> | null;
  if (
    manifest?.format !== 'oxbow-batch-manifest' ||
    manifest.version !== 1 ||
    typeof manifest.runId !== 'string'
  ) {
    throw new BatchError('OXBOW_BATCH_MANIFEST', `${path} is not an oxbow-batch-manifest of version 1`);
  }
  return manifest as BatchManifest;
}

/**
 * The manifest readers follow, or `undefined` when none was published. A read that does not parse (S3Proxy can
 * tear a read during a replace) is retried; after that the newest history manifest is used.
 *
 * @example
 * const current = await readCurrentManifest(lake);
 * current?.watermarkEpoch;
 */
export async function readCurrentManifest(fs: FileSystem, attempts = 3): Promise<BatchManifest | undefined> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let bytes: Uint8Array;
    try {
      bytes = await fs.read(MANIFEST_PATH);
    } catch (error) {
      if (ConnectorError.is(error) && error.code === 'OXBOW_STORAGE_NOT_FOUND') return undefined;
      throw error;
    }
    try {
      return decodeManifest(bytes, MANIFEST_PATH);
    } catch (error) {
      if (attempt === attempts) break;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      if (!BatchError.is(error)) throw error;
    }
  }
  const history = await listManifestHistory(fs);
  const newest = history.at(-1);
  return newest === undefined ? undefined : decodeManifest(await fs.read(newest.path), newest.path);
}

/** The run ids of the history manifests, oldest first (run ids sort by time). */
export async function listManifestHistory(fs: FileSystem): Promise<Array<{ runId: string; path: string }>> {
  const entries: Array<{ runId: string; path: string }> = [];
  for await (const file of fs.list(`${MANIFEST_HISTORY_DIR}/`)) {
    const match = /^views\/_manifests\/([^/.][^/]*)\.json$/.exec(file.path);
    if (match?.[1] !== undefined) entries.push({ runId: match[1], path: file.path });
  }
  return entries.sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
}
