/**
 * `file://` backend on node:fs. Atomic writes go to a hidden temporary file in the same directory,
 * are fsynced, renamed over the final name, and the directory is fsynced.
 */
import { createWriteStream, type Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ConnectorError } from '../errors.ts';
import { failpoint } from '../failpoint.ts';
import { readableOf, writableInto } from './byte-source.ts';
import { deletePrefixHierarchical } from './delete-prefix.ts';
import type { ByteSource, CommitStrategy, FileInfo, FileSystem } from './file-system.ts';
import { checkPath, checkPrefix, joinPath, listingRootOf, temporarySiblingOf } from './paths.ts';

/**
 * A {@link FileSystem} over a local directory.
 *
 * @example
 * const fs = new LocalFileSystem('file:///var/lib/oxbow/lake');
 * await fs.putAtomic('manifest.json', new TextEncoder().encode('{}'));
 */
export class LocalFileSystem implements FileSystem {
  readonly url: string;
  readonly commitStrategy: CommitStrategy = 'rename';
  readonly #root: string;

  constructor(url: string) {
    let root: string;
    try {
      root = fileURLToPath(url);
    } catch (cause) {
      throw new ConnectorError('OXBOW_STORAGE_BAD_URL', `not a file:// URL: ${url}`, { cause });
    }
    this.url = url;
    this.#root = root.endsWith(sep) && root.length > 1 ? root.slice(0, -1) : root;
  }

  #abs(path: string): string {
    return path === '' ? this.#root : join(this.#root, ...path.split('/'));
  }

  async *list(prefix = ''): AsyncIterable<FileInfo> {
    checkPrefix(prefix);
    yield* this.#walk(listingRootOf(prefix), prefix);
  }

  async *#walk(directory: string, prefix: string): AsyncIterable<FileInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.#abs(directory), { withFileTypes: true });
    } catch (error) {
      if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return;
      throw ioError(`cannot list ${directory || '/'}`, error);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = joinPath(directory, entry.name);
      if (entry.isDirectory()) {
        if (path.startsWith(prefix) || prefix.startsWith(`${path}/`)) yield* this.#walk(path, prefix);
      } else if (entry.isFile() && path.startsWith(prefix)) {
        try {
          yield await this.stat(path);
        } catch (error) {
          if (!ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) throw error;
        }
      }
    }
  }

  async stat(path: string): Promise<FileInfo> {
    checkPath(path);
    try {
      const info = await stat(this.#abs(path));
      if (!info.isFile()) throw new ConnectorError('OXBOW_STORAGE_NOT_A_FILE', `not a file: ${path}`);
      return { path, size: info.size, mtime: info.mtime };
    } catch (error) {
      throw mapError(error, path);
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.stat(path);
      return true;
    } catch (error) {
      if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return false;
      throw error;
    }
  }

  async read(path: string): Promise<Uint8Array> {
    checkPath(path);
    try {
      return await readFile(this.#abs(path));
    } catch (error) {
      throw mapError(error, path);
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    checkPath(path);
    try {
      const handle = await open(this.#abs(path), 'r');
      try {
        const buffer = Buffer.alloc(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw mapError(error, path);
    }
  }

  async openReadStream(path: string): Promise<Readable> {
    checkPath(path);
    try {
      const handle = await open(this.#abs(path), 'r');
      return handle.createReadStream();
    } catch (error) {
      throw mapError(error, path);
    }
  }

  async write(path: string, source: ByteSource): Promise<void> {
    checkPath(path);
    const target = this.#abs(path);
    try {
      await mkdir(dirname(target), { recursive: true });
      await pipeline(readableOf(source), createWriteStream(target));
    } catch (error) {
      throw mapError(error, path);
    }
  }

  openWriteStream(path: string): Writable {
    checkPath(path);
    return writableInto((source) => this.write(path, source));
  }

  async writeAtomic(path: string, source: ByteSource): Promise<void> {
    checkPath(path);
    const temporary = temporarySiblingOf(path);
    const target = this.#abs(temporary);
    try {
      await mkdir(dirname(target), { recursive: true });
      const handle = await open(target, 'wx');
      try {
        for await (const chunk of readableOf(source)) await handle.write(chunk as Uint8Array);
        await handle.sync();
      } finally {
        await handle.close();
      }
      failpoint('mid-file-publish');
      await this.commit(temporary, path);
    } catch (error) {
      await rm(target, { force: true });
      throw mapError(error, path);
    }
  }

  putAtomic(path: string, bytes: Uint8Array): Promise<void> {
    return this.writeAtomic(path, bytes);
  }

  async commit(tempPath: string, finalPath: string): Promise<void> {
    checkPath(tempPath);
    checkPath(finalPath);
    const target = this.#abs(finalPath);
    try {
      await mkdir(dirname(target), { recursive: true });
      await rename(this.#abs(tempPath), target);
      await syncDirectory(dirname(target));
    } catch (error) {
      throw mapError(error, tempPath);
    }
  }

  async delete(path: string): Promise<boolean> {
    checkPath(path);
    try {
      await unlink(this.#abs(path));
      return true;
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return false;
      throw mapError(error, path);
    }
  }

  deletePrefix(prefix: string): Promise<number> {
    checkPrefix(prefix);
    return deletePrefixHierarchical(
      {
        list: (p) => this.list(p),
        isDirectory: async (p) => (await stat(this.#abs(p)).catch(() => undefined))?.isDirectory() ?? false,
        deleteFile: (p) => this.delete(p),
        deleteDirectory: (p) => rm(this.#abs(p), { recursive: true, force: true }),
      },
      prefix,
    );
  }

  async mkdirs(path: string): Promise<void> {
    checkPath(path);
    try {
      await mkdir(this.#abs(path), { recursive: true });
    } catch (error) {
      throw mapError(error, path);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function ioError(message: string, cause: unknown): ConnectorError {
  return new ConnectorError('OXBOW_STORAGE_IO', `${message}: ${String(cause)}`, { cause });
}

function mapError(error: unknown, path: string): ConnectorError {
  if (ConnectorError.is(error)) return error;
  switch (codeOf(error)) {
    case 'ENOENT':
      return new ConnectorError('OXBOW_STORAGE_NOT_FOUND', `no such file: ${path}`, { cause: error });
    case 'EISDIR':
    case 'ENOTDIR':
      return new ConnectorError('OXBOW_STORAGE_NOT_A_FILE', `not a file: ${path}`, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new ConnectorError('OXBOW_STORAGE_DENIED', `permission denied: ${path}`, { cause: error });
    case 'EAGAIN':
    case 'EBUSY':
    case 'EMFILE':
    case 'ENFILE':
      return new ConnectorError('OXBOW_STORAGE_IO', `${path}: ${String(error)}`, {
        cause: error,
        retriable: true,
      });
    default:
      return ioError(path, error);
  }
}
