/**
 * Following the batch manifest (type, codec and paths are `@oxbow/contracts`'): where the serving layer finds the
 * current DuckDB file and the watermark epoch E of the batch part.
 */

import type { FileSystem } from '@oxbow/connectors';
import {
  type BatchManifest,
  ContractError,
  decodeManifest,
  MANIFEST_PATH,
  newestHistoryManifest,
} from '@oxbow/contracts';
import { ServingError } from './errors.ts';

/** Options of {@link readCurrentManifest}. */
export interface ReadManifestOptions {
  /** Attempts at `_manifest.json` before falling back to the history (default 3). */
  readonly attempts?: number;
  /** Pause between attempts (default 100 ms). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The current manifest of the lake, or `undefined` when no batch run has published one. A manifest that fails
 * to decode (a torn read during a replace) is read again; after `attempts` failures the newest manifest of
 * `views/_manifests/` is used instead. Throws when neither gives a valid manifest: the last decoding error
 * (`OXBOW_MANIFEST_INVALID`, answered with 502), or `OXBOW_UNAVAILABLE` when the lake could not be read.
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
      if (!(await fs.exists(MANIFEST_PATH))) return await newestDecodableHistoryManifest(fs);
      return decodeManifest(await fs.read(MANIFEST_PATH), MANIFEST_PATH);
    } catch (error) {
      lastError = error;
    }
  }
  const fallback = await newestDecodableHistoryManifest(fs).catch(() => undefined);
  if (fallback) return fallback;
  throw ContractError.is(lastError)
    ? lastError
    : new ServingError('OXBOW_UNAVAILABLE', `cannot read ${MANIFEST_PATH}: ${String(lastError)}`, {
        cause: lastError,
      });
}

/** The newest history manifest that decodes (a damaged entry: the next newest). */
async function newestDecodableHistoryManifest(fs: FileSystem): Promise<BatchManifest | undefined> {
  return (await newestHistoryManifest(fs))?.manifest;
}
