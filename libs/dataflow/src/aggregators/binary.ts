/**
 * The byte layer under every aggregator codec: a growable writer, a bounds-checked reader and the
 * `[format tag, version]` header each encoding starts with.
 */
import { DataflowError } from '../errors.ts';
import type { Codec } from './algebra.ts';
import type { HashableValue } from './values.ts';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Number encodings of {@link ByteWriter.number}. */
const NUMBER_NON_NEGATIVE_INTEGER = 0;
const NUMBER_NEGATIVE_INTEGER = 1;
const NUMBER_FLOAT64 = 2;

/** Value tags of {@link ByteWriter.value}. */
const VALUE_FALSE = 0;
const VALUE_TRUE = 1;
const VALUE_NUMBER = 2;
const VALUE_STRING = 3;
const VALUE_BIGINT = 4;

/** Buffers of finished writers, reused by later ones (codecs nest a writer per field, so a few at a time). */
const spareBuffers: Uint8Array[] = [];
const MAX_SPARE_BUFFERS = 8;
const MAX_SPARE_BUFFER_BYTES = 1 << 20;
const NO_BYTES = new Uint8Array(0);
/** Where doubles are laid out little-endian before they are copied in. */
const scratchView = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratchView.buffer);

/**
 * Appends bytes to a buffer that grows as needed. Its buffer comes from (and, once {@link ByteWriter.finish}
 * copied the bytes out, goes back to) a small pool, so encoding many small states allocates little besides
 * their results.
 */
export class ByteWriter {
  #buffer: Uint8Array;
  #length = 0;
  /** The copy `finish` returned, while the buffer went back to the pool (writing again starts from it). */
  #finished: Uint8Array | undefined;

  constructor(initialCapacity = 64) {
    const spare = spareBuffers.pop();
    if (spare !== undefined && spare.length >= initialCapacity) {
      this.#buffer = spare;
    } else {
      if (spare !== undefined) spareBuffers.push(spare);
      this.#buffer = new Uint8Array(Math.max(16, initialCapacity));
    }
  }

  #reserve(extra: number): void {
    if (this.#finished !== undefined) {
      const finished = this.#finished;
      this.#finished = undefined;
      this.#buffer = new Uint8Array(Math.max(64, finished.length * 2));
      this.#buffer.set(finished);
    }
    const needed = this.#length + extra;
    if (needed <= this.#buffer.length) return;
    let capacity = this.#buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }

  /** One byte (0–255). */
  byte(value: number): this {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
    return this;
  }

  /** A non-negative safe integer as an unsigned LEB128 varint. */
  varuint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new DataflowError('OXBOW_SERIALIZATION', `cannot encode ${value} as an unsigned integer`);
    }
    let rest = value;
    while (rest >= 0x80) {
      this.byte((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    return this.byte(rest);
  }

  /** An IEEE 754 double, little-endian. */
  float64(value: number): this {
    this.#reserve(8);
    scratchView.setFloat64(0, value, true);
    this.#buffer.set(scratchBytes, this.#length);
    this.#length += 8;
    return this;
  }

  /** Any number, compactly: safe integers as a sign tag plus varint, everything else as a double. */
  number(value: number): this {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
      return value >= 0
        ? this.byte(NUMBER_NON_NEGATIVE_INTEGER).varuint(value)
        : this.byte(NUMBER_NEGATIVE_INTEGER).varuint(-value);
    }
    return this.byte(NUMBER_FLOAT64).float64(value);
  }

  /** Raw bytes with a varint length prefix. */
  bytes(value: Uint8Array): this {
    this.varuint(value.length);
    this.#reserve(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  /** Raw bytes without a length prefix. */
  raw(value: Uint8Array): this {
    this.#reserve(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  /** A UTF-8 string with a varint length prefix. */
  string(value: string): this {
    const length = value.length;
    for (let index = 0; index < length; index++) {
      if (value.charCodeAt(index) > 0x7f) return this.bytes(utf8Encoder.encode(value));
    }
    // ASCII: its UTF-8 bytes are its char codes.
    this.varuint(length);
    this.#reserve(length);
    const buffer = this.#buffer;
    let at = this.#length;
    for (let index = 0; index < length; index++) buffer[at++] = value.charCodeAt(index);
    this.#length = at;
    return this;
  }

  /** A hashable value with a type tag (`-0` is written as `0`). */
  value(value: HashableValue): this {
    switch (typeof value) {
      case 'boolean':
        return this.byte(value ? VALUE_TRUE : VALUE_FALSE);
      case 'number':
        return this.byte(VALUE_NUMBER).number(value === 0 ? 0 : value);
      case 'bigint':
        return this.byte(VALUE_BIGINT).string(value.toString());
      default:
        return this.byte(VALUE_STRING).string(value);
    }
  }

  /** The bytes written so far (a copy that owns its memory); the writer may go on writing after it. */
  finish(): Uint8Array {
    if (this.#finished !== undefined) return this.#finished.slice();
    const bytes = this.#buffer.slice(0, this.#length);
    if (spareBuffers.length < MAX_SPARE_BUFFERS && this.#buffer.length <= MAX_SPARE_BUFFER_BYTES) {
      spareBuffers.push(this.#buffer);
    }
    this.#buffer = NO_BYTES;
    this.#finished = bytes;
    return bytes;
  }
}

/** Reads what a {@link ByteWriter} wrote; every read is bounds-checked and fails with a clear error. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #what: string;
  #offset = 0;

  /** `what` names the encoding in error messages, e.g. `'HyperLogLog state'`. */
  constructor(bytes: Uint8Array, what: string) {
    if (!(bytes instanceof Uint8Array)) {
      throw new DataflowError('OXBOW_SERIALIZATION', `cannot decode ${what}: expected a Uint8Array`);
    }
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  /** Throws the error every decoding failure uses. */
  fail(reason: string): never {
    throw new DataflowError('OXBOW_SERIALIZATION', `cannot decode ${this.#what}: ${reason}`);
  }

  #need(count: number): void {
    if (this.#offset + count > this.#bytes.length) {
      this.fail(`truncated at byte ${this.#offset} (needed ${count} more of ${this.#bytes.length})`);
    }
  }

  /** One byte. */
  byte(): number {
    this.#need(1);
    return this.#bytes[this.#offset++] ?? this.fail('truncated');
  }

  /** An unsigned varint (at most 2^53 − 1). */
  varuint(): number {
    let value = 0;
    let scale = 1;
    for (let index = 0; index < 8; index++) {
      const next = this.byte();
      value += (next & 0x7f) * scale;
      if ((next & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) this.fail(`varint ${value} is beyond 2^53`);
        return value;
      }
      scale *= 0x80;
    }
    return this.fail(`varint longer than 8 bytes at byte ${this.#offset}`);
  }

  /** A little-endian double. */
  float64(): number {
    this.#need(8);
    const value = this.#view.getFloat64(this.#offset, true);
    this.#offset += 8;
    return value;
  }

  /** A number written by {@link ByteWriter.number}. */
  number(): number {
    const encoding = this.byte();
    if (encoding === NUMBER_NON_NEGATIVE_INTEGER) return this.varuint();
    if (encoding === NUMBER_NEGATIVE_INTEGER) return -this.varuint();
    if (encoding === NUMBER_FLOAT64) return this.float64();
    return this.fail(`unknown number encoding ${encoding}`);
  }

  /** Length-prefixed bytes (a view into the input). */
  bytes(): Uint8Array {
    const length = this.varuint();
    return this.raw(length);
  }

  /** `length` raw bytes (a view into the input). */
  raw(length: number): Uint8Array {
    this.#need(length);
    const slice = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return slice;
  }

  /** A length-prefixed UTF-8 string. */
  string(): string {
    const bytes = this.bytes();
    try {
      return utf8Decoder.decode(bytes);
    } catch (error) {
      throw new DataflowError('OXBOW_SERIALIZATION', `cannot decode ${this.#what}: invalid UTF-8`, {
        cause: error,
      });
    }
  }

  /** A value written by {@link ByteWriter.value}. */
  value(): HashableValue {
    const tag = this.byte();
    switch (tag) {
      case VALUE_FALSE:
        return false;
      case VALUE_TRUE:
        return true;
      case VALUE_NUMBER:
        return this.number();
      case VALUE_STRING:
        return this.string();
      case VALUE_BIGINT: {
        const text = this.string();
        if (!/^-?\d+$/.test(text)) this.fail(`invalid bigint ${JSON.stringify(text)}`);
        return BigInt(text);
      }
      default:
        return this.fail(`unknown value tag ${tag}`);
    }
  }

  /** Checks the `[tag, version]` header an encoding starts with. */
  header(tag: number, version: number): void {
    if (this.#bytes.length === 0) this.fail('empty input');
    const actualTag = this.byte();
    if (actualTag !== tag) {
      this.fail(`format tag 0x${hex(actualTag)} is not 0x${hex(tag)}`);
    }
    const actualVersion = this.byte();
    if (actualVersion !== version) this.fail(`unsupported format version ${actualVersion}`);
  }

  /** Checks that every byte was consumed. */
  end(): void {
    if (this.#offset !== this.#bytes.length) {
      this.fail(`${this.#bytes.length - this.#offset} unexpected trailing bytes`);
    }
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

/** Format tags: the first byte of every aggregator encoding. */
export const FORMAT_TAGS = {
  count: 0x01,
  sum: 0x02,
  min: 0x03,
  max: 0x04,
  mean: 0x05,
  distinctSet: 0x06,
  hyperLogLog: 0x07,
  quantiles: 0x08,
  topK: 0x09,
  product: 0x0a,
} as const;

/** A codec for a single number under a format tag (count, sum, min, max). */
export function numberCodec(tag: number, what: string): Codec<number> {
  return {
    serialize(value: number): Uint8Array {
      return new ByteWriter(12).byte(tag).byte(1).number(value).finish();
    },
    deserialize(bytes: Uint8Array): number {
      const reader = new ByteReader(bytes, what);
      reader.header(tag, 1);
      const value = reader.number();
      reader.end();
      return value;
    },
  };
}
