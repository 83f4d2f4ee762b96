/**
 * Streaming checkpoints on any {@link FileSystem}: the `CheckpointStore` of `@oxbow/dataflow` for `file://`,
 * `s3://` and `hdfs://` checkpoint directories (the engine's built-in stores cover plain paths and `memory://`).
 */
import type { CheckpointStore, CheckpointStoreFactory } from '@oxbow/dataflow';
import { ConnectorError } from '../errors.ts';
import type { FileSystem } from '../storage/file-system.ts';
import { type OpenFileSystemOptions, openFileSystem } from '../storage/open-file-system.ts';

/**
 * A checkpoint store writing each named checkpoint as one file of `fs` (rooted at the checkpoint directory)
 * with `putAtomic`, so a reader sees the previous blob or the complete new one, never a partial one.
 *
 * @example
 * ```ts
 * const fs = openFileSystem('s3://lake/checkpoints/speed', { s3 });
 * const ssc = new StreamingContext(ctx, 1000, { checkpointStore: () => fileSystemCheckpointStore(fs) });
 * ```
 */
export function fileSystemCheckpointStore(fs: FileSystem): CheckpointStore {
  return {
    location: fs.url,
    async write(name, bytes) {
      await fs.putAtomic(name, bytes);
    },
    async read(name) {
      try {
        return await fs.read(name);
      } catch (error) {
        if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return undefined;
        throw error;
      }
    },
    async list() {
      const names: string[] = [];
      for await (const file of fs.list('')) {
        if (!file.path.includes('/') && !file.path.startsWith('.')) names.push(file.path);
      }
      return names;
    },
    async delete(name) {
      await fs.delete(name);
    },
  };
}

/**
 * A `CheckpointStoreFactory` for `StreamingContextOptions.checkpointStore`: `file://`, `s3://` and `hdfs://`
 * locations get a {@link fileSystemCheckpointStore} (opened with `options`), so checkpoints are published like
 * every other file of the lake (and a `mid-file-publish` failpoint reaches them); other locations (`memory://`,
 * plain paths) are left to the built-in stores.
 */
export function fileSystemCheckpointStores(options: OpenFileSystemOptions = {}): CheckpointStoreFactory {
  return (location) =>
    /^(file|s3|hdfs):\/\//i.test(location)
      ? fileSystemCheckpointStore(openFileSystem(location.replace(/\/+$/, ''), options))
      : undefined;
}
