/**
 * Syslog over TCP (RFC 6587) as a pure, incremental decoder: bytes in any chunking go in, whole messages come
 * out. Both framings are understood, per frame: octet counting (`MSG-LEN SP MSG`, told by a leading digit) and
 * non-transparent framing (a message ended by LF, or NUL, with an optional CR before it).
 */

/** Which framings a connection may use. */
export type SyslogFraming = 'auto' | 'octet-counting' | 'non-transparent';

/** Options of {@link SyslogFrameDecoder}. */
export interface FrameDecoderOptions {
  /** Longest message accepted, in bytes; longer ones are skipped and reported. Default 65 536. */
  readonly maxMessageBytes?: number;
  /** `auto` (default) accepts both framings, frame by frame. */
  readonly framing?: SyslogFraming;
}

/** A problem in the byte stream. `fatal` ones leave the stream unreadable: close the connection. */
export interface FrameError {
  readonly error: string;
  readonly fatal: boolean;
}

/** What the decoder produces: a message's bytes, or an error. */
export type FrameOutput = Uint8Array | FrameError;

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SP = 0x20;

/**
 * Splits a TCP byte stream into syslog messages.
 *
 * @example
 * ```ts
 * const decoder = new SyslogFrameDecoder();
 * decoder.push(Buffer.from('12 <13>1 - - - - - -<13>Oct 1')); // [bytes of '<13>1 - - - - - -']
 * decoder.push(Buffer.from('1 22:14:15 host app: hi\n'));     // [bytes of '<13>Oct 11 22:14:15 host app: hi']
 * decoder.end();                                               // [] (nothing left over)
 * ```
 */
export class SyslogFrameDecoder {
  private readonly maxMessageBytes: number;
  private readonly framing: SyslogFraming;
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes of an over-long octet-counted frame still to skip. */
  private skipBytes = 0;
  /** Inside an over-long non-transparent frame: discard up to the next trailer. */
  private discardingLine = false;
  /** Where the search for a trailer resumes in `buffer` (bytes before it hold none). */
  private scanFrom = 0;
  private failed = false;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? 65_536;
    this.framing = options.framing ?? 'auto';
  }

  /** Feeds a chunk; returns the messages (and errors) it completes, in order. */
  push(chunk: Uint8Array): FrameOutput[] {
    if (this.failed) return [];
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const out: FrameOutput[] = [];
    while (this.step(out)) {}
    return out;
  }

  /** The end of the stream: a last non-transparent message without trailer is a message (RFC 6587 §3.4.2). */
  end(): FrameOutput[] {
    if (this.failed) return [];
    const out: FrameOutput[] = [];
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    this.scanFrom = 0;
    if (this.skipBytes > 0) {
      this.skipBytes = 0;
      return out;
    }
    if (this.discardingLine) {
      this.discardingLine = false;
      return out;
    }
    if (rest.length === 0 || isBlank(rest)) return out;
    const first = rest[0] ?? 0;
    if (this.framing !== 'non-transparent' && isDigit(first)) {
      out.push({
        error: `the connection closed inside an octet-counted frame (${rest.length} bytes received)`,
        fatal: false,
      });
      return out;
    }
    out.push(trimTrailer(rest));
    return out;
  }

  /** Consumes at most one frame (or a bit of skipped input) from the buffer; false when more input is needed. */
  private step(out: FrameOutput[]): boolean {
    if (this.skipBytes > 0) {
      const skipped = Math.min(this.skipBytes, this.buffer.length);
      this.skipBytes -= skipped;
      this.consume(skipped);
      return this.buffer.length > 0;
    }
    if (this.discardingLine) {
      const end = this.findTrailer();
      if (end < 0) {
        this.consume(this.buffer.length);
        return false;
      }
      this.discardingLine = false;
      this.consume(end + 1);
      return true;
    }
    // Stray trailers between frames (senders that end octet-counted frames with LF) are skipped.
    let start = 0;
    while (start < this.buffer.length && isTrailerByte(this.buffer[start] ?? 0)) start += 1;
    if (start > 0) this.consume(start);
    if (this.buffer.length === 0) return false;
    const first = this.buffer[0] ?? 0;
    if (this.framing === 'octet-counting' || (this.framing === 'auto' && isDigit(first))) {
      return this.octetCounted(out);
    }
    return this.nonTransparent(out);
  }

  private octetCounted(out: FrameOutput[]): boolean {
    let i = 0;
    while (i < this.buffer.length && i <= 10 && isDigit(this.buffer[i] ?? 0)) i += 1;
    if (i === this.buffer.length && i <= 10) return false; // the length is not complete yet
    if (i === 0 || i > 10 || this.buffer[i] !== SP || this.buffer[0] === 0x30) {
      this.failed = true;
      const shown = this.buffer.subarray(0, Math.min(this.buffer.length, 16)).toString('latin1');
      out.push({
        error: `not an octet-counted frame (expected MSG-LEN SP, got ${JSON.stringify(shown)}); closing the connection`,
        fatal: true,
      });
      this.buffer = Buffer.alloc(0);
      return false;
    }
    const length = Number(this.buffer.subarray(0, i).toString('ascii'));
    if (length > this.maxMessageBytes) {
      out.push({
        error: `a message of ${length} bytes exceeds the limit of ${this.maxMessageBytes}; skipped`,
        fatal: false,
      });
      this.consume(i + 1);
      this.skipBytes = length;
      return this.buffer.length > 0;
    }
    if (this.buffer.length < i + 1 + length) return false;
    out.push(Buffer.from(this.buffer.subarray(i + 1, i + 1 + length)));
    this.consume(i + 1 + length);
    return this.buffer.length > 0;
  }

  private nonTransparent(out: FrameOutput[]): boolean {
    const end = this.findTrailer();
    if (end < 0) {
      if (this.buffer.length > this.maxMessageBytes + 1) {
        out.push({
          error: `a message longer than ${this.maxMessageBytes} bytes has no trailer yet; skipped up to the next LF`,
          fatal: false,
        });
        this.discardingLine = true;
        this.consume(this.buffer.length);
      }
      return false;
    }
    const frame = trimTrailer(this.buffer.subarray(0, end));
    if (frame.length > this.maxMessageBytes) {
      out.push({
        error: `a message of ${frame.length} bytes exceeds the limit of ${this.maxMessageBytes}; skipped`,
        fatal: false,
      });
    } else {
      out.push(frame);
    }
    this.consume(end + 1);
    return this.buffer.length > 0;
  }

  private findTrailer(): number {
    for (let i = this.scanFrom; i < this.buffer.length; i++) {
      const b = this.buffer[i];
      if (b === LF || b === NUL) return i;
    }
    this.scanFrom = this.buffer.length;
    return -1;
  }

  private consume(count: number): void {
    this.buffer = this.buffer.subarray(count);
    this.scanFrom = 0;
  }
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

function isTrailerByte(byte: number): boolean {
  return byte === LF || byte === CR || byte === NUL;
}

function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (!isTrailerByte(byte) && byte !== SP) return false;
  return true;
}

/** A copy of `bytes` without a final CR (CRLF trailers). */
function trimTrailer(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === CR || bytes[end - 1] === NUL)) end -= 1;
  return Buffer.from(bytes.subarray(0, end));
}
