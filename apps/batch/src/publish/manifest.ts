/**
 * Reading the batch manifest back (the type and codec are `@oxbow/contracts`'): `_manifest.json` is written last,
 * as a whole object; `_manifests/<runId>.json` keeps the same content under a name never replaced.
 */

import { ConnectorError, type FileSystem } from '@oxbow/connectors';
import {
  type BatchManifest,
  ContractError,
  decodeManifest,
  MANIFEST_HISTORY_DIR,
  MANIFEST_PATH,
  runIdOfHistoryManifest,
} from '@oxbow/contracts';

/**
 * The manifest readers follow, or `undefined` when none was published. A read that does not decode (S3Proxy can
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
      if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return undefined;
      throw error;
    }
    try {
      return decodeManifest(bytes, MANIFEST_PATH);
    } catch (error) {
      if (!ContractError.is(error, 'OXBOW_MANIFEST_INVALID')) throw error;
      if (attempt === attempts) break;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
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
    const runId = runIdOfHistoryManifest(file.path);
    if (runId !== undefined) entries.push({ runId, path: file.path });
  }
  return entries.sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
}
