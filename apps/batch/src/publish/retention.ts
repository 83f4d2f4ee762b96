/**
 * Garbage collection of batch-view versions after a successful run: the versions of the `keepRuns` newest
 * successful runs stay (the current one and those a slow reader may still follow); older successful versions
 * and every version without a manifest (a crashed run's files) are deleted. It runs under the run lock, so no
 * other run can be writing a version at the time.
 */
import type { FileSystem } from '@oxbow/connectors';
import { runIdOfVersionPath, VIEWS_DIR, versionDir } from '@oxbow/contracts';
import { listManifestHistory } from './manifest.ts';

/** Options of {@link collectGarbage}. */
export interface RetentionOptions {
  /** Successful versions kept, the current one included (≥ 1). */
  readonly keepRuns: number;
  /** The run that just published: never deleted. */
  readonly currentRunId: string;
}

/**
 * Deletes old and dead versions; resolves the run ids whose directories were deleted.
 *
 * @example
 * await collectGarbage(lake, { keepRuns: 3, currentRunId: runId }); // ['20261120T020000000Z-…']
 */
export async function collectGarbage(fs: FileSystem, options: RetentionOptions): Promise<string[]> {
  const history = await listManifestHistory(fs);
  const kept = new Set(history.slice(-Math.max(1, options.keepRuns)).map((entry) => entry.runId));
  kept.add(options.currentRunId);
  const versions = new Set<string>();
  for await (const file of fs.list(`${VIEWS_DIR}/v=`)) {
    const runId = runIdOfVersionPath(file.path);
    if (runId !== undefined) versions.add(runId);
  }
  const deleted: string[] = [];
  for (const runId of [...versions].sort()) {
    if (kept.has(runId)) continue;
    await fs.deletePrefix(`${versionDir(runId)}/`);
    deleted.push(runId);
  }
  for (const entry of history) {
    if (!kept.has(entry.runId)) await fs.delete(entry.path);
  }
  return deleted;
}
