/**
 * Append-only byte storage in large chunks, and growable typed columns: the in-memory batch model keeps millions
 * of cells as a handful of typed arrays instead of millions of small objects, so it costs its bytes plus a few
 * bytes of addressing per cell, and the garbage collector has almost nothing to trace.
 */

/** Bytes per chunk: entries never straddle chunks; an entry larger than this gets a chunk of its own. */
const CHUNK_BYTES = 4 * 1024 * 1024;

const utf8 = new TextEncoder();

/** Where an entry of a {@link BytePool} starts. */
export interface PoolAddress {
  readonly chunk: number;
  readonly offset: number;
}

/**
 * Append-only byte storage. `append` copies bytes in and returns their address; `view` returns a subarray (no
 * copy) of stored bytes.
 *
 * @example
 * const pool = new BytePool();
 * const at = pool.appendPair(stateBytes, '{"hits":3}');
 * pool.view(at.chunk, at.offset, stateBytes.length); // the state's bytes
 */
export class BytePool {
  readonly #chunks: Uint8Array[] = [];
  #current: Uint8Array = new Uint8Array(0);
  #used = 0;
  #bytes = 0;

  /** Bytes allocated for chunks. */
  get allocatedBytes(): number {
    return this.#bytes;
  }

  #reserve(length: number): void {
    if (this.#used + length <= this.#current.length) return;
    this.#trimCurrent();
    const size = Math.max(CHUNK_BYTES, length);
    this.#current = new Uint8Array(size);
    this.#chunks.push(this.#current);
    this.#used = 0;
    this.#bytes += size;
  }

  #trimCurrent(): void {
    const last = this.#chunks.length - 1;
    if (last < 0 || this.#used === this.#current.length) return;
    // Keep what was written; the rest of a chunk that will never be written again is given back.
    const trimmed = this.#current.slice(0, this.#used);
    this.#bytes -= this.#current.length - this.#used;
    this.#chunks[last] = trimmed;
    this.#current = trimmed;
  }

  /**
   * Appends `bytes` followed by the UTF-8 of `text` as one entry; returns its address and the text's byte
   * length (the bytes' length is the caller's).
   */
  appendPair(bytes: Uint8Array, text: string): PoolAddress & { readonly textBytes: number } {
    const most = bytes.length + text.length * 3;
    this.#reserve(most);
    const chunk = this.#chunks.length - 1;
    const offset = this.#used;
    this.#current.set(bytes, offset);
    const { written } = utf8.encodeInto(text, this.#current.subarray(offset + bytes.length, offset + most));
    this.#used = offset + bytes.length + written;
    return { chunk, offset, textBytes: written };
  }

  /** The `length` bytes stored at `offset` of `chunk` (a view, not a copy). */
  view(chunk: number, offset: number, length: number): Uint8Array {
    return (this.#chunks[chunk] as Uint8Array).subarray(offset, offset + length);
  }

  /** Gives back the unused end of the last chunk; appending after this still works. */
  seal(): void {
    this.#trimCurrent();
  }
}

/** A typed array that grows by doubling while it is filled, then is trimmed to its length. */
export class GrowableColumn<T extends Float64Array | Uint32Array | Uint16Array> {
  #array: T;
  #length = 0;
  readonly #make: (length: number) => T;

  constructor(make: (length: number) => T, initial = 1024) {
    this.#make = make;
    this.#array = make(initial);
  }

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#array.length) {
      const grown = this.#make(this.#array.length * 2);
      grown.set(this.#array);
      this.#array = grown;
    }
    this.#array[this.#length++] = value;
  }

  /** The filled part, as an array of exactly `length` (a copy when the capacity was larger). */
  finish(): T {
    return this.#length === this.#array.length ? this.#array : (this.#array.slice(0, this.#length) as T);
  }
}
