/**
 * One opened batch version: a manifest, its views loaded into memory ({@link BatchViewModel}: what requests read)
 * and its DuckDB file (a local copy: the published artifact, opened read-only again for ad-hoc SQL through
 * {@link BatchSnapshot.states}), counted by the requests that use it so that it is released only after the last
 * one finished.
 */
import { rm } from 'node:fs/promises';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import type { BatchManifest } from '@oxbow/contracts';
import { type BatchViewModel, loadBatchModel } from './batch-model.ts';
import type { AnyView } from './state-ops.ts';
import { batchStatusOf } from './view-status.ts';

let snapshotSequence = 0;

/** A stored state of one key and bucket, as the batch view table holds it. */
export interface StoredState {
  readonly key: string;
  readonly bucket: number;
  readonly bytes: Uint8Array;
}

/** A half-open range of bucket starts, `[fromMs, toMs)`; an absent bound is unbounded. */
export interface BucketRange {
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
}

/**
 * A manifest with its opened DuckDB file. `retain`/`release` count users; after `retire`, the file is closed
 * (and its local copy deleted) once the count reaches zero.
 */
export class BatchSnapshot {
  readonly manifest: BatchManifest;
  readonly localPath: string;
  /** Unique in this process: answers cached from this version carry it. */
  readonly sequence: number;
  readonly #models: ReadonlyMap<string, BatchViewModel>;
  #instance: Promise<DuckDBInstance> | undefined;
  readonly #idle: DuckDBConnection[] = [];
  readonly #views: ReadonlySet<string>;
  #users = 0;
  #retired = false;
  #closed = false;
  readonly #onClosed: () => void;

  private constructor(
    manifest: BatchManifest,
    localPath: string,
    models: ReadonlyMap<string, BatchViewModel>,
    onClosed: () => void,
  ) {
    this.manifest = manifest;
    this.localPath = localPath;
    this.sequence = ++snapshotSequence;
    this.#models = models;
    this.#views = new Set(manifest.views.map((view) => view.name));
    this.#onClosed = onClosed;
  }

  /**
   * Opens the DuckDB file at `localPath` read-only for `manifest` and loads into memory every view of `views`
   * whose table the manifest lists with the view's fingerprint (others are rebuilding: nothing of them is read),
   * then closes the file until ad-hoc SQL asks for it; `onClosed` runs once the snapshot is closed.
   *
   * @example
   * const snapshot = await BatchSnapshot.open(manifest, '/cache/20261124T130000000Z-1a2b3c4d.duckdb', () => {}, { views: project.views });
   */
  static async open(
    manifest: BatchManifest,
    localPath: string,
    onClosed: () => void = () => {},
    options: { readonly views?: readonly AnyView[]; readonly signal?: AbortSignal } = {},
  ): Promise<BatchSnapshot> {
    const instance = await DuckDBInstance.create(localPath, { access_mode: 'READ_ONLY', threads: '1' });
    const models = new Map<string, BatchViewModel>();
    try {
      const connection = await instance.connect();
      try {
        for (const view of options.views ?? []) {
          if (batchStatusOf(view, manifest).status !== 'ready') continue;
          const signal = options.signal;
          models.set(
            view.name,
            await loadBatchModel(connection, view, signal === undefined ? {} : { signal }),
          );
        }
      } finally {
        connection.closeSync();
      }
    } finally {
      instance.closeSync();
    }
    return new BatchSnapshot(manifest, localPath, models, onClosed);
  }

  /** The in-memory model of `view`, when this version holds its table with the view's fingerprint. */
  model(view: string): BatchViewModel | undefined {
    return this.#models.get(view);
  }

  /** The loaded models. */
  get models(): ReadonlyMap<string, BatchViewModel> {
    return this.#models;
  }

  /** True once the file has been closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** How many requests use this snapshot now. */
  get users(): number {
    return this.#users;
  }

  /** Counts one more user. */
  retain(): void {
    this.#users++;
  }

  /** Counts one user less; closes the file when retired and unused. */
  release(): void {
    this.#users--;
    if (this.#users === 0 && this.#retired) this.#close();
  }

  /** Marks this snapshot as replaced: it closes as soon as no request uses it. */
  retire(): void {
    this.#retired = true;
    if (this.#users === 0) this.#close();
  }

  /**
   * The stored states of `view` in `range`, for one key or (without `key`) for every key, by SQL on the DuckDB
   * file (opened on first use; requests read the in-memory models instead).
   *
   * @example
   * await snapshot.states('orders_by_store_hourly', 'amsterdam-01', { fromMs: 0, toMs: 7_200_000 });
   */
  async states(view: string, key: string | undefined, range: BucketRange): Promise<StoredState[]> {
    if (!this.#views.has(view) || this.#closed) return [];
    const conditions: string[] = [];
    const values: DuckDBValue[] = [];
    if (key !== undefined) {
      values.push(key);
      conditions.push(`key = $${values.length}`);
    }
    if (range.fromMs !== undefined) {
      values.push(BigInt(range.fromMs));
      conditions.push(`bucket >= $${values.length}`);
    }
    if (range.toMs !== undefined) {
      values.push(BigInt(range.toMs));
      conditions.push(`bucket < $${values.length}`);
    }
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
    const sql = `SELECT key, bucket, state FROM "${view.replaceAll('"', '""')}"${where} ORDER BY key, bucket`;
    this.#instance ??= DuckDBInstance.create(this.localPath, { access_mode: 'READ_ONLY', threads: '1' });
    const instance = await this.#instance;
    if (this.#closed) return [];
    const connection = this.#idle.pop() ?? (await instance.connect());
    try {
      const reader = await connection.runAndReadAll(sql, values);
      return reader.getRows().map(([rowKey, bucket, state]) => ({
        key: String(rowKey),
        bucket: Number(bucket),
        bytes: (state as { bytes: Uint8Array }).bytes,
      }));
    } finally {
      if (this.#closed) connection.closeSync();
      else this.#idle.push(connection);
    }
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const connection of this.#idle.splice(0)) connection.closeSync();
    const instance = this.#instance;
    const removeFile = () => {
      void rm(this.localPath, { force: true }).catch(() => {});
      void rm(`${this.localPath}.wal`, { force: true }).catch(() => {});
    };
    if (instance === undefined) removeFile();
    else
      void instance.then((opened) => {
        opened.closeSync();
        removeFile();
      }, removeFile);
    this.#onClosed();
  }
}
