/**
 * The batch manifest (docs/design/0002-layer-contracts.md): what the serving layer follows to find the current
 * DuckDB file and the watermark epoch E of the batch part.
 */
import type { FileSystem } from '@oxbow/connectors';
import { ServingError } from './errors.ts';

/** Where the current manifest lives, relative to the lake root. */
export const MANIFEST_PATH = 'views/_manifest.json';
/** The directory of manifests under names never replaced (history), relative to the lake root. */
export const MANIFEST_HISTORY_DIR = 'views/_manifests/';

/** One view of a batch run, as the manifest lists it. */
export interface ManifestView {
  readonly name: string;
  readonly rows: number;
  readonly parquet?: string;
  /**
   * The fingerprint of the view definition the batch table was computed with (`ViewDefinition.fingerprint`);
   * absent in manifests written before fingerprints were recorded.
   */
  readonly fingerprint?: string;
}

/** The fields of a batch manifest the serving layer uses (others are kept but ignored). */
export interface BatchManifest {
  readonly format: 'oxbow-batch-manifest';
  readonly version: 1;
  readonly runId: string;
  readonly epochMs: number;
  /** The watermark epoch E: the batch part covers every epoch ≤ E. */
  readonly watermarkEpoch: number;
  readonly views: readonly ManifestView[];
  /** Path of the DuckDB file, relative to the lake root. */
  readonly duckdb: string;
  readonly finishedAt?: string;
}

function fail(message: string): never {
  throw new ServingError('OXBOW_MANIFEST_INVALID', `batch manifest: ${message}`);
}

/**
 * Parses and checks a manifest's JSON text; throws `OXBOW_MANIFEST_INVALID` naming the first problem.
 *
 * @example
 * parseManifest(await fs.read('views/_manifest.json')).watermarkEpoch; // 489012
 */
export function parseManifest(input: string | Uint8Array): BatchManifest {
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ServingError('OXBOW_MANIFEST_INVALID', 'batch manifest: not JSON (torn or partial read?)', {
      cause: error,
      retriable: true,
    });
  }
  if (typeof json !== 'object' || json === null) fail('not an object');
  const record = json as Record<string, unknown>;
  if (record.format !== 'oxbow-batch-manifest') fail(`format ${JSON.stringify(record.format)}`);
  if (record.version !== 1) fail(`unsupported version ${JSON.stringify(record.version)}`);
  const { runId, epochMs, watermarkEpoch, duckdb, views } = record;
  if (typeof runId !== 'string' || !/^[0-9A-Za-z._-]+$/.test(runId)) fail('runId missing or malformed');
  if (typeof epochMs !== 'number' || !Number.isSafeInteger(epochMs) || epochMs <= 0) fail('epochMs');
  if (typeof watermarkEpoch !== 'number' || !Number.isSafeInteger(watermarkEpoch)) fail('watermarkEpoch');
  if (typeof duckdb !== 'string' || duckdb.length === 0 || duckdb.split('/').includes('..'))
    fail('duckdb path');
  if (!Array.isArray(views)) fail('views is not an array');
  const parsedViews = views.map((view: unknown): ManifestView => {
    const entry = view as Record<string, unknown> | null;
    if (typeof entry?.name !== 'string') fail('a view without a name');
    return {
      name: entry.name,
      rows: typeof entry.rows === 'number' ? entry.rows : 0,
      ...(typeof entry.parquet === 'string' ? { parquet: entry.parquet } : {}),
      ...(typeof entry.fingerprint === 'string' ? { fingerprint: entry.fingerprint } : {}),
    };
  });
  return {
    format: 'oxbow-batch-manifest',
    version: 1,
    runId,
    epochMs,
    watermarkEpoch,
    views: parsedViews,
    duckdb,
    ...(typeof record.finishedAt === 'string' ? { finishedAt: record.finishedAt } : {}),
  };
}

/** Options of {@link readCurrentManifest}. */
export interface ReadManifestOptions {
  /** Attempts at `_manifest.json` before falling back to the history (default 3). */
  readonly attempts?: number;
  /** Pause between attempts (default 100 ms). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The current manifest of the lake, or `undefined` when no batch run has published one. A manifest that fails
 * to parse (a torn read during a replace) is read again; after `attempts` failures the newest manifest of
 * `views/_manifests/` is used instead. Throws when neither gives a valid manifest.
 *
 * @example
 * const manifest = await readCurrentManifest(openFileSystem(config.lake));
 */
export async function readCurrentManifest(
  fs: FileSystem,
  options: ReadManifestOptions = {},
): Promise<BatchManifest | undefined> {
  const attempts = options.attempts ?? 3;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(100);
    try {
      if (!(await fs.exists(MANIFEST_PATH))) return await newestHistoryManifest(fs);
      return parseManifest(await fs.read(MANIFEST_PATH));
    } catch (error) {
      lastError = error;
    }
  }
  const fallback = await newestHistoryManifest(fs).catch(() => undefined);
  if (fallback) return fallback;
  throw lastError instanceof ServingError
    ? lastError
    : new ServingError('OXBOW_UNAVAILABLE', `cannot read ${MANIFEST_PATH}: ${String(lastError)}`, {
        cause: lastError,
      });
}

async function newestHistoryManifest(fs: FileSystem): Promise<BatchManifest | undefined> {
  const names: string[] = [];
  for await (const file of fs.list(MANIFEST_HISTORY_DIR)) {
    if (file.path.endsWith('.json')) names.push(file.path);
  }
  names.sort().reverse();
  for (const name of names) {
    try {
      return parseManifest(await fs.read(name));
    } catch {
      // A damaged history entry: try the next newest.
    }
  }
  return undefined;
}
