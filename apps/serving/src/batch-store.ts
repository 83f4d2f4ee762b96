/**
 * Follows the lake's batch manifest: downloads each new version's DuckDB file to a local cache, loads its views
 * into memory (in slices, while the previous version keeps answering) and swaps it in between requests. Requests
 * hold a lease on the snapshot they started with, so an in-flight request finishes on the old version, which is
 * released (its file deleted) after its last lease is.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FileSystem } from '@oxbow/connectors';
import type { BatchManifest } from '@oxbow/contracts';
import { BatchSnapshot } from './batch-snapshot.ts';
import { readCurrentManifest } from './manifest.ts';
import type { AnyView } from './state-ops.ts';

/** A request's hold on the snapshot current when it started (`undefined` before the first batch run). */
export interface BatchLease {
  readonly snapshot: BatchSnapshot | undefined;
  /** Ends the hold; idempotent. */
  release(): void;
}

/** Options of a {@link BatchViewStore}. */
export interface BatchViewStoreOptions {
  /** The lake (the manifest and DuckDB paths are relative to its root). */
  readonly lake: FileSystem;
  /** Local directory for the downloaded DuckDB files. */
  readonly cacheDir: string;
  /** Poll period of the manifest in ms; 0 disables polling (call {@link BatchViewStore.refresh}). */
  readonly pollMs: number;
  /** Told about poll failures (the previous version stays served). */
  readonly onError?: (error: unknown) => void;
  /** The views to load into memory (those whose tables the manifest lists with their fingerprint). */
  readonly views?: readonly AnyView[];
  /**
   * Told the lowest watermark epoch of the versions still in use whenever it may have risen (a switch, an old
   * version released): realtime increments of epochs up to it are needed by no request any more.
   */
  readonly onWatermark?: (lowestInUse: number | undefined) => void;
}

/** Counters of a {@link BatchViewStore}, for /metrics. */
export interface BatchStoreStats {
  switches: number;
  pollFailures: number;
  openFiles: number;
  lastPollMs: number | undefined;
}

let downloadSequence = 0;

/**
 * The current batch version, refreshed from the manifest.
 *
 * @example
 * const store = new BatchViewStore({ lake, cacheDir: '/tmp/cache', pollMs: 5000 });
 * await store.start();
 * const lease = store.acquire();
 * try { await lease.snapshot?.states('orders_by_store_hourly', 'amsterdam-01', {}); } finally { lease.release(); }
 */
export class BatchViewStore {
  readonly #options: BatchViewStoreOptions;
  #current: BatchSnapshot | undefined;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<boolean> | undefined;
  #stopped = false;
  /** Versions opened and not yet closed (the current one and replaced ones still in use). */
  readonly #open = new Set<BatchSnapshot>();
  readonly stats: BatchStoreStats = { switches: 0, pollFailures: 0, openFiles: 0, lastPollMs: undefined };

  constructor(options: BatchViewStoreOptions) {
    this.#options = options;
  }

  /** The version currently served, if any (requests take it with {@link BatchViewStore.acquire}). */
  get current(): BatchSnapshot | undefined {
    return this.#current;
  }

  /** The manifest currently served, if any. */
  get manifest(): BatchManifest | undefined {
    return this.#current?.manifest;
  }

  /** Reads the manifest once (errors are reported, not thrown) and starts polling. */
  async start(): Promise<void> {
    await this.refresh().catch((error: unknown) => this.#reportError(error));
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped || this.#options.pollMs <= 0) return;
    this.#timer = setTimeout(() => {
      this.refresh()
        .catch((error: unknown) => this.#reportError(error))
        .finally(() => this.#schedule());
    }, this.#options.pollMs);
    this.#timer.unref();
  }

  #reportError(error: unknown): void {
    this.stats.pollFailures++;
    this.#options.onError?.(error);
  }

  /**
   * Reads the manifest now and switches to its version when it names a different run. Resolves true when it
   * switched. Concurrent calls share one refresh.
   */
  refresh(): Promise<boolean> {
    this.#refreshing ??= this.#refreshOnce().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refreshOnce(): Promise<boolean> {
    const manifest = await readCurrentManifest(this.#options.lake);
    this.stats.lastPollMs = Date.now();
    if (manifest === undefined || manifest.runId === this.#current?.manifest.runId || this.#stopped)
      return false;
    const localPath = await this.#download(manifest);
    let snapshot: BatchSnapshot;
    try {
      snapshot = await BatchSnapshot.open(
        manifest,
        localPath,
        () => {
          this.stats.openFiles--;
          this.#open.delete(snapshot);
          this.#reportWatermark();
        },
        { views: this.#options.views ?? [] },
      );
    } catch (error) {
      await rm(localPath, { force: true });
      throw error;
    }
    this.stats.openFiles++;
    this.#open.add(snapshot);
    if (this.#stopped) {
      snapshot.retire();
      return false;
    }
    const previous = this.#current;
    this.#current = snapshot;
    this.stats.switches++;
    previous?.retire();
    this.#reportWatermark();
    return true;
  }

  /** The lowest watermark epoch of the versions still open (undefined: none). */
  #reportWatermark(): void {
    if (this.#stopped) return;
    let lowest: number | undefined;
    for (const snapshot of this.#open) {
      const watermark = snapshot.manifest.watermarkEpoch;
      if (lowest === undefined || watermark < lowest) lowest = watermark;
    }
    this.#options.onWatermark?.(lowest);
  }

  async #download(manifest: BatchManifest): Promise<string> {
    await mkdir(this.#options.cacheDir, { recursive: true });
    downloadSequence++;
    const name = `${manifest.runId}-${process.pid}-${downloadSequence}.duckdb`;
    const target = join(this.#options.cacheDir, name);
    const partial = `${target}.part`;
    try {
      const source = await this.#options.lake.openReadStream(manifest.duckdb);
      await pipeline(source, createWriteStream(partial));
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return target;
  }

  /** Holds the current snapshot for one request; release it when the request is done. */
  acquire(): BatchLease {
    const snapshot = this.#current;
    snapshot?.retain();
    let released = false;
    return {
      snapshot,
      release: () => {
        if (released) return;
        released = true;
        snapshot?.release();
      },
    };
  }

  /** Stops polling and closes the current file once its requests finished. */
  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#refreshing?.catch(() => {});
    this.#current?.retire();
    this.#current = undefined;
  }
}
