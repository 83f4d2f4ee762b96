/**
 * Watches the batch manifest: polls `<lake>/views/_manifest.json`, keeps the newest one that parsed, and tells
 * its listener on every poll (so epoch expiry is redone until it has completed). A manifest that does not parse
 * (a torn read during a replace) is retried on the next poll; the previous one stays current.
 */
import type { FileSystem } from '@oxbow/connectors';
import type { BatchManifest } from '@oxbow/contracts';
import { readManifest } from './batch-manifest.ts';

/** Options of a {@link ManifestWatcher}. */
export interface ManifestWatcherOptions {
  /** Time between polls (ms). */
  readonly pollMs: number;
  /** Called after each poll with the current manifest (if any); errors are reported to `onError`. */
  readonly onPoll: (manifest: BatchManifest | undefined) => Promise<void>;
  readonly onError?: (error: unknown) => void;
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
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const read = await readManifest(this.lake);
      if (read.kind === 'missing') return this.manifest;
      if (read.kind === 'ok') {
        if (this.manifest === undefined || read.manifest.watermarkEpoch >= this.manifest.watermarkEpoch) {
          this.manifest = read.manifest;
        }
        return this.manifest;
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this.manifest;
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
