/**
 * The one behaviour every FileSystem backend must show, as a vitest suite parameterised by a factory.
 * `test/filesystem.int.test.ts` runs it against file://, s3:// and hdfs://.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError, type ConnectorErrorCode } from '../../src/errors.ts';
import type { FileSystem } from '../../src/storage/file-system.ts';

/** Makes a file system rooted at a fresh, empty location; called once per suite. */
export type FileSystemFactory = () => Promise<FileSystem>;

const MIB = 1024 * 1024;
const encoder = new TextEncoder();

/** Deterministic pseudo-random bytes (every byte value occurs), so content mix-ups are caught. */
function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** `total` bytes in 64 KiB chunks, produced lazily. */
async function* chunks(total: number, seed: number): AsyncIterable<Uint8Array> {
  const chunk = patternBytes(64 * 1024, seed);
  for (let sent = 0; sent < total; sent += chunk.byteLength) {
    const size = Math.min(chunk.byteLength, total - sent);
    yield chunk.subarray(0, size);
  }
}

async function sha256Of(source: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source) hash.update(chunk);
  return hash.digest('hex');
}

async function paths(fs: FileSystem, prefix?: string): Promise<string[]> {
  const found: string[] = [];
  for await (const file of fs.list(prefix)) found.push(file.path);
  return found.sort();
}

async function expectCode(promise: Promise<unknown>, code: ConnectorErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ConnectorError.is(error), `expected a ConnectorError ${code}, got ${String(error)}`).toBe(true);
  expect((error as ConnectorError).code).toBe(code);
}

/**
 * Declares the conformance suite for one backend.
 *
 * @example
 * describeFileSystemConformance('file://', async () => new LocalFileSystem(pathToFileURL(dir).href));
 */
/** What a backend's server guarantees beyond the FileSystem contract. */
export interface BackendTraits {
  /**
   * Readers never see a torn object while it is being replaced. Real S3 and HDFS renames guarantee it; S3Proxy's
   * filesystem backend (the local stack) does not always, so Oxbow never replaces a file readers follow: data and
   * manifests get new names (see docs/decisions/0003-parquet-library.md and the batch layer).
   */
  atomicReplaceForConcurrentReaders: boolean;
}

export function describeFileSystemConformance(
  name: string,
  factory: FileSystemFactory,
  traits: BackendTraits = { atomicReplaceForConcurrentReaders: true },
): void {
  describe(`FileSystem conformance: ${name}`, () => {
    let fs: FileSystem;

    beforeAll(async () => {
      fs = await factory();
    });

    afterAll(async () => {
      if (fs === undefined) return;
      await fs.deletePrefix('');
      await fs.close();
    });

    it('putAtomic/read round-trips arbitrary bytes, and stat/exists/readRange agree', async () => {
      const bytes = patternBytes(100_000, 1);
      await fs.putAtomic('round/trip.bin', bytes);
      expect(Buffer.from(await fs.read('round/trip.bin')).equals(Buffer.from(bytes))).toBe(true);
      const info = await fs.stat('round/trip.bin');
      expect(info.path).toBe('round/trip.bin');
      expect(info.size).toBe(bytes.byteLength);
      expect(info.mtime.getTime()).toBeGreaterThan(Date.UTC(2020, 0, 1));
      expect(await fs.exists('round/trip.bin')).toBe(true);
      expect(Buffer.from(await fs.readRange('round/trip.bin', 99_990, 100))).toEqual(
        Buffer.from(bytes.subarray(99_990)),
      );
      expect(Buffer.from(await fs.readRange('round/trip.bin', 1000, 16))).toEqual(
        Buffer.from(bytes.subarray(1000, 1016)),
      );
      await fs.putAtomic('round/empty.bin', new Uint8Array(0));
      expect((await fs.read('round/empty.bin')).byteLength).toBe(0);
    });

    it('list returns every file under a string prefix, recursively, with sizes', async () => {
      const files: Record<string, string> = {
        'tree/a/1.txt': 'one',
        'tree/a/b/2.txt': 'two!',
        'tree/a/b/c/3.txt': 'three',
        'tree/ab/4.txt': 'four4',
        'tree/z.txt': 'z',
      };
      for (const [path, text] of Object.entries(files)) await fs.putAtomic(path, encoder.encode(text));
      expect(await paths(fs, 'tree/a/')).toEqual(['tree/a/1.txt', 'tree/a/b/2.txt', 'tree/a/b/c/3.txt']);
      expect(await paths(fs, 'tree/a')).toEqual([
        'tree/a/1.txt',
        'tree/a/b/2.txt',
        'tree/a/b/c/3.txt',
        'tree/ab/4.txt',
      ]);
      expect(await paths(fs, 'tree/a/b/c/3')).toEqual(['tree/a/b/c/3.txt']);
      expect(await paths(fs, 'tree/')).toEqual(Object.keys(files).sort());
      expect(await paths(fs, 'tree/missing/')).toEqual([]);
      expect(await paths(fs, 'no-such-dir/x')).toEqual([]);
      const sizes = new Map<string, number>();
      for await (const file of fs.list('tree/')) sizes.set(file.path, file.size);
      for (const [path, text] of Object.entries(files)) expect(sizes.get(path)).toBe(text.length);
    });

    it('putAtomic of a new path: a concurrent reader sees nothing, then the whole file, never part of it', async () => {
      const content = patternBytes(3 * MIB, 11);
      let writing = true;
      const seen = { missing: 0, whole: 0, other: 0 };
      const reader = (async () => {
        while (writing) {
          const bytes = await fs.read('fresh/value.bin').then(
            (b) => Buffer.from(b),
            (e: unknown) => {
              if (ConnectorError.is(e) && e.code === 'OXBOW_STORAGE_NOT_FOUND') return undefined;
              throw e;
            },
          );
          if (bytes === undefined) seen.missing++;
          else if (bytes.equals(Buffer.from(content))) seen.whole++;
          else seen.other++;
        }
      })();
      await fs.putAtomic('fresh/value.bin', content);
      writing = false;
      await reader;
      expect(seen.other, 'reads that saw part of the file').toBe(0);
      expect(seen.missing + seen.whole).toBeGreaterThan(0);
      expect(await paths(fs, 'fresh/')).toEqual(['fresh/value.bin']);
    });

    it.runIf(traits.atomicReplaceForConcurrentReaders)(
      'putAtomic never lets a reader see a partial file, and leaves no temporary file behind',
      async () => {
        const before = new Uint8Array(512 * 1024).fill(0x61);
        const after = patternBytes(3 * MIB, 7);
        await fs.putAtomic('atomic/value.bin', before);
        let writing = true;
        const seen = { before: 0, after: 0, other: 0 };
        const others: string[] = [];
        const reader = (async () => {
          while (writing) {
            const bytes = Buffer.from(await fs.read('atomic/value.bin'));
            if (bytes.equals(Buffer.from(before))) seen.before++;
            else if (bytes.equals(Buffer.from(after))) seen.after++;
            else {
              seen.other++;
              others.push(
                `${bytes.byteLength} bytes, first 0x${bytes[0]?.toString(16)}, last 0x${bytes.at(-1)?.toString(16)}`,
              );
            }
          }
        })();
        await fs.putAtomic('atomic/value.bin', after);
        writing = false;
        await reader;
        expect(others, 'reads that saw neither the old nor the new content').toEqual([]);
        expect(seen.before + seen.after).toBeGreaterThan(0);
        expect(Buffer.from(await fs.read('atomic/value.bin')).equals(Buffer.from(after))).toBe(true);
        expect(await paths(fs, 'atomic/')).toEqual(['atomic/value.bin']);
      },
    );

    it('commit moves a finished temporary file to its final path, replacing what was there', async () => {
      await fs.write('staging/part-0.tmp', encoder.encode('first'));
      await fs.commit('staging/part-0.tmp', 'published/deep/part-0.bin');
      expect(await fs.exists('staging/part-0.tmp')).toBe(false);
      expect(new TextDecoder().decode(await fs.read('published/deep/part-0.bin'))).toBe('first');
      await fs.write('staging/part-0.tmp', encoder.encode('second'));
      await fs.commit('staging/part-0.tmp', 'published/deep/part-0.bin');
      expect(new TextDecoder().decode(await fs.read('published/deep/part-0.bin'))).toBe('second');
      expect(await paths(fs, 'staging/')).toEqual([]);
    });

    it('delete removes one file and deletePrefix removes a whole subtree, sparing siblings', async () => {
      for (const path of ['del/x/1', 'del/x/2/3', 'del/x/2/4/5', 'del/xy', 'del/keep']) {
        await fs.putAtomic(path, encoder.encode(path));
      }
      expect(await fs.delete('del/keep')).toBe(true);
      expect(await fs.delete('del/keep')).toBe(false);
      expect(await fs.deletePrefix('del/x/')).toBe(3);
      expect(await paths(fs, 'del/')).toEqual(['del/xy']);
      expect(await fs.deletePrefix('del/x')).toBe(1);
      expect(await paths(fs, 'del/')).toEqual([]);
      expect(await fs.deletePrefix('del/nothing/')).toBe(0);
    });

    it('reports missing files as OXBOW_STORAGE_NOT_FOUND and bad paths as OXBOW_STORAGE_BAD_PATH', async () => {
      await expectCode(fs.read('missing/file.bin'), 'OXBOW_STORAGE_NOT_FOUND');
      await expectCode(fs.stat('missing/file.bin'), 'OXBOW_STORAGE_NOT_FOUND');
      await expectCode(fs.readRange('missing/file.bin', 0, 10), 'OXBOW_STORAGE_NOT_FOUND');
      await expectCode(fs.openReadStream('missing/file.bin'), 'OXBOW_STORAGE_NOT_FOUND');
      await expectCode(fs.commit('missing/temp.bin', 'missing/final.bin'), 'OXBOW_STORAGE_NOT_FOUND');
      expect(await fs.exists('missing/file.bin')).toBe(false);
      expect(await fs.delete('missing/file.bin')).toBe(false);
      await expectCode(fs.read('../escape'), 'OXBOW_STORAGE_BAD_PATH');
      await expectCode(fs.read('/absolute'), 'OXBOW_STORAGE_BAD_PATH');
      await expectCode(fs.read('a//b'), 'OXBOW_STORAGE_BAD_PATH');
    });

    it('streams a multi-MB file in and out (multipart upload on S3)', async () => {
      const total = 12 * MIB + 12_345;
      const expected = await sha256Of(chunks(total, 3));
      await pipeline(Readable.from(chunks(total, 3)), fs.openWriteStream('big/streamed.bin'));
      expect((await fs.stat('big/streamed.bin')).size).toBe(total);
      expect(await sha256Of(await fs.openReadStream('big/streamed.bin'))).toBe(expected);

      await fs.writeAtomic('big/atomic.bin', chunks(total, 3));
      expect(await sha256Of(await fs.openReadStream('big/atomic.bin'))).toBe(expected);
      expect(await paths(fs, 'big/')).toEqual(['big/atomic.bin', 'big/streamed.bin']);
    });
  });
}
