import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  type CheckpointStore,
  DataflowContext,
  ManualClock,
  MemoryCheckpointStore,
  StreamingContext,
} from '@oxbow/dataflow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineParquetSchema } from '../../parquet/schema.ts';
import { writeParquet } from '../../parquet/writer.ts';
import type { FileSystem } from '../../storage/file-system.ts';
import { LocalFileSystem } from '../../storage/local-file-system.ts';
import { SourceError } from '../source-error.ts';
import { type FileInputDStream, type FileStreamOptions, textFileStream } from './file-input-dstream.ts';
import { parquetFileStream } from './parquet-file-stream.ts';

const BATCH = 1000;
let dir: string;
let url: string;
let seq = 0;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oxbow-dirstream-'));
  url = pathToFileURL(dir).href;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a file with an mtime that increases with every call (so "oldest first" is deterministic). */
async function put(path: string, content: string | Uint8Array): Promise<void> {
  const full = join(dir, path);
  await mkdir(join(full, '..'), { recursive: true });
  writeFileSync(full, content);
  const time = new Date(Date.UTC(2026, 0, 1) + seq++ * 1000);
  utimesSync(full, time, time);
}

/** Virtual time, continued across the contexts of one test (a restarted job resumes after its checkpoint). */
let virtualNow = 0;

/** A running context over a text directory stream, collecting lines per batch on a manual clock. */
async function run(options: FileStreamOptions = {}, store?: CheckpointStore) {
  const clock = new ManualClock(virtualNow);
  const batches: string[][] = [];
  let stream: FileInputDStream<string> | undefined;
  const create = () => {
    const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), BATCH, {
      clock,
      ...(store ? { checkpointStore: () => store } : {}),
    });
    stream = textFileStream(ssc, url, options);
    stream.foreachRDD(async (rdd) => {
      batches.push(await rdd.collect());
    });
    return ssc;
  };
  const ssc = store
    ? await StreamingContext.getOrCreate(store.location, create, { checkpointStore: () => store })
    : create();
  await ssc.start();
  if (!stream) throw new Error('no stream');
  let taken = 0;
  return {
    ssc,
    stream,
    batches,
    clock,
    /** Runs the next batch (and any the context was catching up on); returns their lines, sorted. */
    async next(): Promise<string[]> {
      virtualNow = (Math.floor(clock.now() / BATCH) + 1) * BATCH;
      clock.setTime(virtualNow);
      await ssc.awaitBatchCompletion(virtualNow);
      const lines = batches.slice(taken).flat().sort();
      taken = batches.length;
      return lines;
    },
  };
}

describe('textFileStream', () => {
  it('ignores the files present at start, then reads each new file once, one partition per file', async () => {
    await put('old.txt', 'old\n');
    const { ssc, stream, next } = await run();
    try {
      expect(await next()).toEqual([]);
      await put('a.txt', 'a1\na2\n');
      await put('sub/b.txt', 'b1\r\nb2'); // CRLF, and a last line without LF
      await put('.a.txt.oxbow-tmp-1', 'hidden temp file');
      await put('_SUCCESS', '');
      expect(await next()).toEqual(['a1', 'a2', 'b1', 'b2']);
      expect(await next()).toEqual([]);
      await put('c.txt.gz', gzipSync(Buffer.from('\uFEFFc1\nc2\n')));
      expect(await next()).toEqual(['c1', 'c2']);
      expect(stream.metrics()).toMatchObject({
        files: 3,
        records: 6,
        rememberedFiles: 4,
        errors: 0,
        connected: true,
      });
    } finally {
      await ssc.stop();
    }
  });

  it('with newFilesOnly false reads the files already there; maxFilesPerBatch takes the oldest first', async () => {
    for (const name of ['1', '2', '3', '4', '5']) await put(`${name}.txt`, `${name}\n`);
    const { ssc, next } = await run({ newFilesOnly: false, maxFilesPerBatch: 2 });
    try {
      expect(await next()).toEqual(['1', '2']);
      expect(await next()).toEqual(['3', '4']);
      expect(await next()).toEqual(['5']);
      expect(await next()).toEqual([]);
    } finally {
      await ssc.stop();
    }
  });

  it('reads every file exactly once across restarts from the checkpoint, also after a crash before a checkpoint', async () => {
    const memory = new MemoryCheckpointStore(`memory://dirstream-${Date.now()}-${Math.random()}`);
    let failWrites = false;
    const store: CheckpointStore = {
      location: memory.location,
      write: async (name, bytes) => {
        if (failWrites) throw new Error('disk full (simulated crash before the checkpoint)');
        await memory.write(name, bytes);
      },
      read: (name) => memory.read(name),
      list: () => memory.list(),
      delete: (name) => memory.delete(name),
    };
    const delivered: string[] = [];

    const first = await run({}, store);
    await put('a.txt', 'a\n');
    delivered.push(...(await first.next()));
    await put('b.txt', 'b\n');
    delivered.push(...(await first.next()));
    await first.ssc.stop();

    // Restart: a and b are in the checkpoint; c arrived while the job was down.
    await put('c.txt', 'c\n');
    const second = await run({}, store);
    delivered.push(...(await second.next()));
    // d is read by a batch whose checkpoint fails: the context stops as after a crash.
    await put('d.txt', 'd\n');
    failWrites = true;
    virtualNow += BATCH;
    second.clock.setTime(virtualNow);
    await expect(second.ssc.awaitTermination()).rejects.toThrow(/disk full/);
    delivered.push(...(second.batches.at(-1) ?? []));
    await second.ssc.stop();

    failWrites = false;
    const third = await run({}, store);
    const replayed = await third.next();
    await third.ssc.stop();

    // d's batch never reached a checkpoint, so it is read again: at least once for outputs, once for state.
    expect(delivered.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(replayed).toEqual(['d']);
  });

  it('backs off after a failed listing and recovers; skips a file that cannot be decoded after 3 attempts', async () => {
    const local = new LocalFileSystem(url);
    let failListing = false;
    const flaky = new Proxy(local, {
      get(target, property) {
        if (property === 'list') {
          return (prefix?: string) => {
            if (failListing) throw new Error('connection reset');
            return target.list(prefix);
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as FileSystem;
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), BATCH, { clock });
    const schema = defineParquetSchema([{ name: 'n', type: 'int32' }] as const);
    const stream = parquetFileStream(ssc, { fs: flaky }, schema, {
      backoff: { initialMs: 0, maxMs: 0, jitter: 0 },
    });
    const seen: number[] = [];
    stream.foreachRDD(async (rdd) => {
      seen.push(...(await rdd.collect()).map((row) => row.n));
    });
    await ssc.start();
    try {
      const tick = async () => {
        const target = clock.now() + BATCH;
        clock.setTime(target);
        await ssc.awaitBatchCompletion(target);
      };
      await writeParquet(local, 'p1.parquet', schema, [{ n: 1 }, { n: 2 }]);
      await put('broken.parquet', 'not parquet at all');
      await put('notes.txt', 'ignored: not .parquet');
      failListing = true;
      await tick();
      expect(stream.metrics()).toMatchObject({ connected: false, errors: 1 });
      failListing = false;
      await tick();
      expect(seen.sort()).toEqual([1, 2]);
      expect(stream.metrics()).toMatchObject({ connected: true, reconnects: 1, files: 1 });
      await tick();
      await tick();
      expect(stream.metrics().skippedFiles).toEqual(['broken.parquet']);
      await tick();
      expect(stream.metrics().errors).toBe(4); // one listing, three reads of the broken file
    } finally {
      await ssc.stop();
      await local.close();
    }
  });

  it('forgets files older than rememberMs and ignores late files that old', async () => {
    const { ssc, stream, next } = await run({ newFilesOnly: false, rememberMs: 2500 });
    try {
      await put('1.txt', '1\n');
      await put('2.txt', '2\n');
      await put('3.txt', '3\n');
      await put('4.txt', '4\n');
      expect(await next()).toEqual(['1', '2', '3', '4']);
      expect(stream.metrics().rememberedFiles).toBe(3); // 1.txt is 3 s older than 4.txt
      seq -= 10; // a late file with an old mtime
      await put('late.txt', 'late\n');
      expect(await next()).toEqual([]);
    } finally {
      await ssc.stop();
    }
  });

  it('refuses bad options and unsupported locations with a SourceError', () => {
    const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), BATCH);
    expect(() => textFileStream(ssc, 'ftp://example.com/x')).toThrow(SourceError);
    expect(() => textFileStream(ssc, url, { maxFilesPerBatch: 0 })).toThrow(/maxFilesPerBatch/);
  });
});
