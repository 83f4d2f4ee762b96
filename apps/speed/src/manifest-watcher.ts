/**
 * Watches the batch manifest: polls `<lake>/views/_manifest.json`, keeps the newest one that parsed, and tells
 * its listener on every poll (so epoch expiry is redone until it has completed). A manifest that does not parse
 * (a torn read during a replace, a truncated file) is retried; when every attempt fails, the newest history
 * manifest (`views/_manifests/<runId>.json`) that parses is used if it is newer than the current one, and the
 * previous one stays current otherwise — said once per distinct problem through `log`.
 */
import type { FileSystem } from '@oxbow/connectors';
import type { BatchManifest } from '@oxbow/contracts';
import { readManifest, readNewestHistoryManifest } from './batch-manifest.ts';

/** Options of a {@link ManifestWatcher}. */
export interface ManifestWatcherOptions {
  /** Time between polls (ms). */
  readonly pollMs: number;
  /** Called after each poll with the current manifest (if any); errors are reported to `onError`. */
  readonly onPoll: (manifest: BatchManifest | undefined) => Promise<void>;
  readonly onError?: (error: unknown) => void;
  /** One line when `_manifest.json` becomes unreadable (and what is used instead), and when it is read again. */
  readonly log?: (line: string) => void;
  /**
   * Called (and awaited) just before a manifest of another run becomes current, while the previous one still is:
   * `previous` is the current manifest, `null` when a read found none, `undefined` before the first read.
   * Errors are reported to `onError`; the manifest is adopted anyway.
   */
  readonly beforeAdopt?: (next: BatchManifest, previous: BatchManifest | null | undefined) => Promise<void>;
}

/**
 * Polls the manifest of a lake.
 *
 * @example
 * ```ts
 * const watcher = new ManifestWatcher(lake, { pollMs: 5000, onPoll: async (m) => m && expire(m.watermarkEpoch) });
 * await watcher.refresh();
 * watcher.start();
 * ```
 */
export class ManifestWatcher {
  private readonly lake: FileSystem;
  private readonly options: ManifestWatcherOptions;
  private manifest: BatchManifest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  /** The problem last reported about `_manifest.json` (reported once until it changes or clears). */
  private reported: string | undefined;
  /** True once a read completed (found a manifest or none). */
  private observed = false;

  constructor(lake: FileSystem, options: ManifestWatcherOptions) {
    this.lake = lake;
    this.options = options;
  }

  /** The newest manifest read so far. */
  get current(): BatchManifest | undefined {
    return this.manifest;
  }

  /** The current watermark epoch, or −∞ without a manifest. */
  get watermarkEpoch(): number {
    return this.manifest?.watermarkEpoch ?? Number.NEGATIVE_INFINITY;
  }

  /**
   * Reads the manifest now, retrying unreadable reads `attempts` times (100 ms apart); keeps the current one
   * when every attempt fails. A manifest with a lower watermark than the current one is ignored.
   */
  async refresh(attempts = 5): Promise<BatchManifest | undefined> {
    let reason = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const read = await readManifest(this.lake);
      if (read.kind === 'missing') {
        this.observed = true;
        return this.manifest;
      }
      if (read.kind === 'ok') {
        if (this.reported !== undefined) this.options.log?.('the batch manifest is readable again');
        this.reported = undefined;
        await this.adopt(read.manifest);
        return this.manifest;
      }
      reason = read.reason;
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Torn or truncated: the newest history manifest holds the same content as the last complete _manifest.json.
    const fallback = await readNewestHistoryManifest(this.lake);
    if (fallback) await this.adopt(fallback.manifest);
    if (this.reported !== reason) {
      this.reported = reason;
      this.options.log?.(
        `the batch manifest is unreadable (${reason}); ` +
          (fallback
            ? `using ${fallback.path} (watermark epoch ${fallback.manifest.watermarkEpoch})`
            : this.manifest
              ? `keeping the manifest of run ${this.manifest.runId}`
              : 'no history manifest either: running as without a manifest'),
      );
    }
    return this.manifest;
  }

  /** Makes `manifest` current unless the current one has a higher watermark (`beforeAdopt` first, for a new run). */
  private async adopt(manifest: BatchManifest): Promise<void> {
    const newer = () =>
      this.manifest === undefined || manifest.watermarkEpoch >= this.manifest.watermarkEpoch;
    if (!newer()) return;
    if (this.options.beforeAdopt !== undefined && this.manifest?.runId !== manifest.runId) {
      try {
        await this.options.beforeAdopt(manifest, this.observed ? (this.manifest ?? null) : undefined);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
    this.observed = true;
    if (newer()) this.manifest = manifest;
  }

  /** Starts polling. */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => this.schedule());
    }, this.options.pollMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      await this.refresh(1);
      await this.options.onPoll(this.manifest);
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
