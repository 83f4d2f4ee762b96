/**
 * Reading the batch layer's manifest (`<lake>/views/_manifest.json`; type, codec and path are
 * `@oxbow/contracts`') as the speed layer needs it: the watermark epoch E (realtime epochs ≤ E expire) and the
 * end offsets of E (where a rebuild replays from). The manifest is replaced by whole-object writes; a read that
 * does not decode is reported, and the caller retries.
 */

import { ConnectorError, type FileSystem } from '@oxbow/connectors';
import {
  type BatchManifest,
  ContractError,
  decodeManifest,
  MANIFEST_PATH,
  newestHistoryManifest,
} from '@oxbow/contracts';

/** What reading the manifest gave. */
export type ManifestRead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly manifest: BatchManifest }
  | { readonly kind: 'unreadable'; readonly reason: string };

/**
 * Reads `<lake>/views/_manifest.json` once: missing (no batch run yet), the decoded manifest, or why it could not
 * be read or decoded.
 *
 * @example
 * const read = await readManifest(lake);
 * if (read.kind === 'ok') expireThrough(read.manifest.watermarkEpoch);
 */
export async function readManifest(lake: FileSystem): Promise<ManifestRead> {
  let bytes: Uint8Array;
  try {
    bytes = await lake.read(MANIFEST_PATH);
  } catch (error) {
    if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return { kind: 'missing' };
    return { kind: 'unreadable', reason: (error as Error).message };
  }
  try {
    return { kind: 'ok', manifest: decodeManifest(bytes, MANIFEST_PATH) };
  } catch (error) {
    if (ContractError.is(error)) return { kind: 'unreadable', reason: error.message };
    throw error;
  }
}

/**
 * The newest history manifest (`<lake>/views/_manifests/<runId>.json`, the same content as `_manifest.json` under
 * a name never replaced) that decodes, with its path; `undefined` when there is none. Entries that do not decode
 * or cannot be read are passed over.
 *
 * @example
 * const fallback = await readNewestHistoryManifest(lake); // when _manifest.json is torn
 */
export function readNewestHistoryManifest(
  lake: FileSystem,
): Promise<{ readonly manifest: BatchManifest; readonly path: string } | undefined> {
  return newestHistoryManifest(lake, (error) => ContractError.is(error) || ConnectorError.is(error));
}
