/**
 * The published batch runs, newest first, from the lake's manifest history (`views/_manifests/<runId>.json`):
 * what the dashboard shows as "last runs" (watermark, start, finish, durations, rows per view). History
 * manifests never change once written, so each is read from the lake once and kept.
 */
import type { FileSystem } from '@oxbow/connectors';
import {
  type BatchManifest,
  decodeManifest,
  historyManifestPath,
  MANIFEST_HISTORY_DIR,
  type PublishedRun,
  runIdOfHistoryManifest,
} from '@oxbow/contracts';

/** The dashboard's summary of a manifest. */
export function publishedRunOf(manifest: BatchManifest): PublishedRun {
  return {
    runId: manifest.runId,
    watermarkEpoch: manifest.watermarkEpoch,
    epochMs: manifest.epochMs,
    watermarkThrough: new Date((manifest.watermarkEpoch + 1) * manifest.epochMs).toISOString(),
    startedAt: manifest.startedAt,
    finishedAt: manifest.finishedAt,
    durationMs: Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt),
    durationsMs: manifest.durationsMs,
    views: manifest.views.map((view) => ({
      name: view.name,
      rows: view.rows,
      computeMs: view.computeMs ?? null,
    })),
  };
}

/**
 * Reads the newest history manifests of a lake, keeping every one read (they are immutable). The listing of the
 * history directory (one LIST of the lake) is reused for `listTtlMs` unless a run it does not hold is asked
 * for, so dashboards refreshing every few seconds do not list the lake each time; concurrent requests share one.
 *
 * @example
 * const runs = await new ManifestHistory(lake).newest(10); // [{ runId, watermarkEpoch, durationMs, … }, …]
 */
export class ManifestHistory {
  readonly #lake: FileSystem;
  readonly #listTtlMs: number;
  readonly #read = new Map<string, PublishedRun>();
  #listing: { paths: string[]; atMs: number } | undefined;
  #listingRunning: Promise<string[]> | undefined;

  constructor(lake: FileSystem, options: { listTtlMs?: number } = {}) {
    this.#lake = lake;
    this.#listTtlMs = options.listTtlMs ?? 30_000;
  }

  /**
   * The `limit` newest runs of the history, newest first; a manifest that does not decode is skipped. `mustHold`
   * (the run served now) makes a listing that does not hold it be read again.
   */
  async newest(limit: number, mustHold?: string): Promise<PublishedRun[]> {
    const paths = await this.#paths(mustHold);
    const runs: PublishedRun[] = [];
    for (const path of paths) {
      if (runs.length >= limit) break;
      let run = this.#read.get(path);
      if (run === undefined) {
        try {
          run = publishedRunOf(decodeManifest(await this.#lake.read(path), path));
          this.#read.set(path, run);
        } catch {
          continue; // damaged or torn: not listed, read again next time
        }
      }
      runs.push(run);
    }
    return runs;
  }

  async #paths(mustHold: string | undefined): Promise<string[]> {
    const listing = this.#listing;
    const fresh = listing !== undefined && performance.now() - listing.atMs < this.#listTtlMs;
    const holds = mustHold === undefined || (listing?.paths.includes(historyManifestPath(mustHold)) ?? false);
    if (listing !== undefined && fresh && holds) return listing.paths;
    this.#listingRunning ??= this.#list().finally(() => {
      this.#listingRunning = undefined;
    });
    return this.#listingRunning;
  }

  async #list(): Promise<string[]> {
    const atMs = performance.now();
    const paths: string[] = [];
    for await (const file of this.#lake.list(`${MANIFEST_HISTORY_DIR}/`)) {
      if (runIdOfHistoryManifest(file.path) !== undefined) paths.push(file.path);
    }
    paths.sort().reverse();
    this.#listing = { paths, atMs };
    return paths;
  }
}
