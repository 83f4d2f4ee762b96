/**
 * Assembles a JSON body from text and stored UTF-8 pieces (cell values kept as bytes by the batch model) in one
 * reusable buffer, then copies it out once.
 */

/**
 * A growable output buffer for one body at a time (not reentrant: start, append, finish synchronously).
 *
 * @example
 * const out = new JsonBytes();
 * out.start(); out.text('{"total":'); out.bytes(model.totalJson(key)); out.text('}');
 * const body = out.finish();
 */
export class JsonBytes {
  #buffer = Buffer.allocUnsafe(64 * 1024);
  #length = 0;

  start(): void {
    this.#length = 0;
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }

  /** Appends text (UTF-8). */
  text(value: string): void {
    this.#reserve(value.length * 3);
    this.#length += this.#buffer.write(value, this.#length, 'utf8');
  }

  /** Appends stored UTF-8 bytes, or text. */
  bytes(value: Uint8Array | string): void {
    if (typeof value === 'string') {
      this.text(value);
      return;
    }
    this.#reserve(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
  }

  /** A copy of what was appended since `start` (its own memory: a cached answer pins no shared pool slab). */
  finish(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.#length);
    this.#buffer.copy(out, 0, 0, this.#length);
    return out;
  }
}
