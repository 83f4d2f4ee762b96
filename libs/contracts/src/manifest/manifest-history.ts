/**
 * The manifest history (`views/_manifests/<runId>.json`, written once per run and never replaced) read back: the
 * newest entry that decodes, which the speed and serving layers fall back to when `_manifest.json` is missing or
 * torn.
 */
import { MANIFEST_HISTORY_DIR, runIdOfHistoryManifest } from '../lake/lake-layout.ts';
import { type BatchManifest, decodeManifest } from './batch-manifest.ts';

/** What reading the history needs of a lake (a `FileSystem` of `@oxbow/connectors` is one). */
export interface ManifestHistorySource {
  list(prefix: string): AsyncIterable<{ readonly path: string }>;
  read(path: string): Promise<Uint8Array>;
}

/**
 * The newest history manifest that reads and decodes, with its path; `undefined` when there is none. An entry whose
 * read or decoding throws an error `skip` accepts (default: any) is passed over for the next newest; other errors
 * are thrown. Run ids sort by time.
 *
 * @example
 * ```ts
 * const fallback = await newestHistoryManifest(lake); // when _manifest.json is torn
 * ```
 */
export async function newestHistoryManifest(
  lake: ManifestHistorySource,
  skip: (error: unknown) => boolean = () => true,
): Promise<{ readonly manifest: BatchManifest; readonly path: string } | undefined> {
  const paths: string[] = [];
  for await (const info of lake.list(`${MANIFEST_HISTORY_DIR}/`)) {
    if (runIdOfHistoryManifest(info.path) !== undefined) paths.push(info.path);
  }
  for (const path of paths.sort().reverse()) {
    try {
      return { manifest: decodeManifest(await lake.read(path), path), path };
    } catch (error) {
      if (!skip(error)) throw error;
    }
  }
  return undefined;
}
