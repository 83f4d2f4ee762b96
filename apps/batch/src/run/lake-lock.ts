/**
 * The run lock `<lake>/views/_lock` (docs/design/0002-layer-contracts.md): created only if absent, holding its
 * owner and an expiry, refreshed while the run lasts, and taken over once it expired (a crashed run).
 *
 * Creation is exclusive on `file://` (`O_EXCL`). S3 and WebHDFS offer no create-if-absent through the
 * FileSystem interface, so every acquisition (also on `file://`, for takeovers) ends with a check: after
 * `settleMs` the lock is read back and must still carry this run's token. Two runs that both saw no lock both
 * write; the later write wins and the earlier writer sees the other token and backs off. This is safe as long as
 * the gap between a run's check and its write is shorter than `settleMs`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConnectorError, type FileSystem } from '@oxbow/connectors';
import { LOCK_PATH } from '@oxbow/contracts';
import { BatchError } from '../errors.ts';

/** What the lock file holds. */
export interface LockRecord {
  readonly token: string;
  /** Who holds it: `<host>:<pid>`, plus what for. */
  readonly owner: string;
  readonly runId: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

/** Options of {@link LakeLock.acquire}. */
export interface LakeLockOptions {
  readonly runId: string;
  /** A lock not refreshed for this long is stale. */
  readonly ttlMs: number;
  /** Milliseconds since the Unix epoch, injected. */
  readonly now: () => number;
  /** Wait before reading the lock back. Default 250 ms. */
  readonly settleMs?: number;
}

const encoder = new TextEncoder();

async function readLock(fs: FileSystem): Promise<LockRecord | 'absent' | 'unreadable'> {
  try {
    const record = JSON.parse(new TextDecoder().decode(await fs.read(LOCK_PATH))) as Partial<LockRecord>;
    return typeof record.token === 'string' && typeof record.expiresAt === 'string'
      ? (record as LockRecord)
      : 'unreadable';
  } catch (error) {
    if (ConnectorError.is(error) && error.code === 'OXBOW_STORAGE_NOT_FOUND') return 'absent';
    if (error instanceof SyntaxError) return 'unreadable';
    throw error;
  }
}

/** Creates the lock file only if absent; false when it already existed. */
async function createExclusive(fs: FileSystem, bytes: Uint8Array): Promise<boolean> {
  if (fs.url.startsWith('file:')) {
    const root = fs.url.endsWith('/') ? fs.url : `${fs.url}/`;
    const path = fileURLToPath(new URL(LOCK_PATH, root));
    await mkdir(dirname(path), { recursive: true });
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }
  if (await fs.exists(LOCK_PATH)) return false;
  await fs.putAtomic(LOCK_PATH, bytes);
  return true;
}

/**
 * A held run lock.
 *
 * @example
 * const lock = await LakeLock.acquire(lake, { runId, ttlMs: 120_000, now: Date.now });
 * if (lock === undefined) return; // another run holds it
 * try { … await lock.assertHeld(); publish(); } finally { await lock.release(); }
 */
export class LakeLock {
  readonly #fs: FileSystem;
  readonly #options: LakeLockOptions;
  #record: LockRecord;
  #heartbeat: NodeJS.Timeout | undefined;
  #lost: BatchError | undefined;

  private constructor(fs: FileSystem, options: LakeLockOptions, record: LockRecord) {
    this.#fs = fs;
    this.#options = options;
    this.#record = record;
  }

  /** The lock as written. */
  get record(): LockRecord {
    return this.#record;
  }

  /**
   * Takes the lock, or resolves `undefined` when a live lock of another run is in place (or another run won
   * the race for it). An expired lock is deleted and taken over.
   */
  static async acquire(fs: FileSystem, options: LakeLockOptions): Promise<LakeLock | undefined> {
    const existing = await readLock(fs);
    if (existing === 'unreadable') {
      // A lock being written right now, or a torn one: stale only once its file is older than the TTL.
      const { mtime } = await fs.stat(LOCK_PATH);
      if (options.now() - mtime.getTime() < options.ttlMs) return undefined;
      await fs.delete(LOCK_PATH);
    } else if (existing !== 'absent') {
      if (Date.parse(existing.expiresAt) > options.now()) return undefined;
      await fs.delete(LOCK_PATH);
    }
    const record = LakeLock.#newRecord(options, randomBytes(8).toString('hex'));
    if (!(await createExclusive(fs, encoder.encode(JSON.stringify(record))))) return undefined;
    await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 250));
    const check = await readLock(fs);
    if (typeof check === 'string' || check.token !== record.token) return undefined;
    const lock = new LakeLock(fs, options, record);
    lock.#startHeartbeat();
    return lock;
  }

  static #newRecord(options: LakeLockOptions, token: string, acquiredAt?: string): LockRecord {
    const now = options.now();
    return {
      token,
      owner: `${hostname()}:${process.pid}`,
      runId: options.runId,
      acquiredAt: acquiredAt ?? new Date(now).toISOString(),
      expiresAt: new Date(now + options.ttlMs).toISOString(),
    };
  }

  #startHeartbeat(): void {
    const every = Math.max(200, Math.floor(this.#options.ttlMs / 3));
    this.#heartbeat = setInterval(() => {
      this.refresh().catch((error: unknown) => {
        this.#lost ??=
          BatchError.is(error) && error.code === 'OXBOW_BATCH_LOCK_LOST'
            ? error
            : new BatchError('OXBOW_BATCH_LOCK_LOST', `cannot refresh ${LOCK_PATH}: ${String(error)}`, {
                cause: error,
              });
      });
    }, every);
    this.#heartbeat.unref();
  }

  /** Pushes the expiry `ttlMs` ahead; throws `OXBOW_BATCH_LOCK_LOST` if another run took the lock. */
  async refresh(): Promise<void> {
    await this.assertHeld();
    this.#record = LakeLock.#newRecord(this.#options, this.#record.token, this.#record.acquiredAt);
    await this.#fs.putAtomic(LOCK_PATH, encoder.encode(JSON.stringify(this.#record)));
  }

  /** Throws `OXBOW_BATCH_LOCK_LOST` unless the lock file still carries this run's token. */
  async assertHeld(): Promise<void> {
    if (this.#lost) throw this.#lost;
    const current = await readLock(this.#fs);
    if (typeof current === 'string' || current.token !== this.#record.token) {
      this.#lost = new BatchError(
        'OXBOW_BATCH_LOCK_LOST',
        `run ${this.#options.runId} lost ${LOCK_PATH}${typeof current === 'string' ? '' : ` to ${current.owner} (run ${current.runId})`}`,
      );
      throw this.#lost;
    }
  }

  /** Stops refreshing and deletes the lock if it is still this run's. */
  async release(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    const current = await readLock(this.#fs).catch(() => 'unreadable' as const);
    if (typeof current !== 'string' && current.token === this.#record.token) await this.#fs.delete(LOCK_PATH);
  }
}
