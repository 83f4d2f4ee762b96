/**
 * Where streaming checkpoints live. A store writes named blobs atomically (a reader sees the old blob or the new
 * one, never a partial one). Built in: local directories (`file://…` or a plain path) and `memory://…` (tests);
 * `s3://` and `hdfs://` stores come from `@oxbow/connectors` through `StreamingContextOptions.checkpointStore`.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataflowError } from '../errors.ts';

/** Atomic named blobs in one checkpoint directory. */
export interface CheckpointStore {
  readonly location: string;
  write(name: string, bytes: Uint8Array): Promise<void>;
  read(name: string): Promise<Uint8Array | undefined>;
  list(): Promise<string[]>;
  delete(name: string): Promise<void>;
}

/** Makes the store for a checkpoint directory URL, or undefined when it does not handle its scheme. */
export type CheckpointStoreFactory = (location: string) => CheckpointStore | undefined;

const memoryStores = new Map<string, Map<string, Uint8Array>>();

/** A store in process memory, shared by every context of the process using the same `memory://` name. */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly location: string;
  private readonly blobs: Map<string, Uint8Array>;

  constructor(location: string) {
    this.location = location;
    const existing = memoryStores.get(location) ?? new Map<string, Uint8Array>();
    memoryStores.set(location, existing);
    this.blobs = existing;
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    this.blobs.set(name, bytes.slice());
  }
  async read(name: string): Promise<Uint8Array | undefined> {
    return this.blobs.get(name);
  }
  async list(): Promise<string[]> {
    return [...this.blobs.keys()];
  }
  async delete(name: string): Promise<void> {
    this.blobs.delete(name);
  }
}

/** A store in a local directory: write to a temporary file, fsync, rename over the final name. */
export class LocalDirectoryCheckpointStore implements CheckpointStore {
  readonly location: string;
  private readonly dir: string;

  constructor(location: string) {
    this.location = location;
    this.dir = location.startsWith('file://') ? fileURLToPath(location) : location;
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const temp = join(this.dir, `.${name}.${process.pid}.tmp`);
    const fd = openSync(temp, 'w');
    try {
      let written = 0;
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(this.dir, name));
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(readFileSync(join(this.dir, name)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(): Promise<string[]> {
    try {
      return readdirSync(this.dir).filter((name) => !name.startsWith('.'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    rmSync(join(this.dir, name), { force: true });
  }
}

/** The built-in stores: `memory://…`, `file://…` and plain paths. */
export function builtInCheckpointStore(location: string): CheckpointStore | undefined {
  if (location.startsWith('memory://')) return new MemoryCheckpointStore(location);
  if (location.startsWith('file://') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    return new LocalDirectoryCheckpointStore(location);
  }
  return undefined;
}

/** Resolves a store for `location`, trying the given factory first. */
export function resolveCheckpointStore(location: string, factory?: CheckpointStoreFactory): CheckpointStore {
  const store = factory?.(location) ?? builtInCheckpointStore(location);
  if (!store) {
    throw new DataflowError(
      'OXBOW_INVALID_ARGUMENT',
      `no checkpoint store for ${location}: pass StreamingContextOptions.checkpointStore (e.g. from @oxbow/connectors) for this scheme`,
    );
  }
  return store;
}
