/**
 * Helpers shared by the backends to turn a {@link ByteSource} into what their client needs.
 */
import { PassThrough, Readable, Writable } from 'node:stream';
import type { ByteSource } from './file-system.ts';

/** A Node readable over any {@link ByteSource}. */
export function readableOf(source: ByteSource): Readable {
  if (source instanceof Uint8Array) return Readable.from([source], { objectMode: false });
  return Readable.from(source, { objectMode: false });
}

/** Collects a {@link ByteSource} into one buffer. */
export async function collectBytes(source: ByteSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * A writable whose bytes are handed, as a stream, to `consume`; `finish` fires only after `consume`
 * resolved, and the writable errors if `consume` rejects. Backends build `openWriteStream` with it.
 */
export function writableInto(consume: (source: AsyncIterable<Uint8Array>) => Promise<void>): Writable {
  const pipe = new PassThrough();
  const done = consume(pipe);
  const writable = new Writable({
    write(chunk: Uint8Array, _encoding, callback) {
      if (pipe.write(chunk)) callback();
      else pipe.once('drain', () => callback());
    },
    final(callback) {
      pipe.end();
      done.then(
        () => callback(),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
    destroy(error, callback) {
      pipe.destroy(error ?? undefined);
      callback(error);
    },
  });
  done.catch((error: unknown) => {
    if (!writable.writableFinished)
      writable.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  return writable;
}
