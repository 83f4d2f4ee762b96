/**
 * The published batch runs, newest first, from the lake's manifest history (`views/_manifests/<runId>.json`):
 * what the dashboard shows as "last runs" (watermark, start, finish, durations, rows per view). History
 * manifests never change once written, so each is read from the lake once and kept.
 */
import type { FileSystem } from '@oxbow/connectors';
import {
  type BatchManifest,
  decodeManifest,
  MANIFEST_HISTORY_DIR,
  runIdOfHistoryManifest,
} from '@oxbow/contracts';

/** One published batch run as the dashboard lists it. */
export interface PublishedRun {
  readonly runId: string;
  /** The watermark epoch E of the version. */
  readonly watermarkEpoch: number;
  readonly epochMs: number;
  /** The end of epoch E, `(E + 1) · epochMs`, as ISO-8601: events appended before it are in the batch part. */
  readonly watermarkThrough: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** `finishedAt − startedAt` in ms. */
  readonly durationMs: number;
  readonly durationsMs: BatchManifest['durationsMs'];
  readonly views: readonly {
    readonly name: string;
    readonly rows: number;
    readonly computeMs: number | null;
  }[];
}

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
 * Reads the newest history manifests of a lake, keeping every one read (they are immutable).
 *
 * @example
 * const runs = await new ManifestHistory(lake).newest(10); // [{ runId, watermarkEpoch, durationMs, … }, …]
 */
export class ManifestHistory {
  readonly #lake: FileSystem;
  readonly #read = new Map<string, PublishedRun | null>();

  constructor(lake: FileSystem) {
    this.#lake = lake;
  }

  /** The `limit` newest runs of the history, newest first; a manifest that does not decode is skipped. */
  async newest(limit: number): Promise<PublishedRun[]> {
    const paths: string[] = [];
    for await (const file of this.#lake.list(`${MANIFEST_HISTORY_DIR}/`)) {
      if (runIdOfHistoryManifest(file.path) !== undefined) paths.push(file.path);
    }
    paths.sort().reverse();
    const runs: PublishedRun[] = [];
    for (const path of paths) {
      if (runs.length >= limit) break;
      let run = this.#read.get(path);
      if (run === undefined) {
        try {
          run = publishedRunOf(decodeManifest(await this.#lake.read(path), path));
        } catch {
          run = null; // damaged or torn: not listed, read again next time
        }
        if (run !== null) this.#read.set(path, run);
      }
      if (run !== null) runs.push(run);
    }
    return runs;
  }
}
