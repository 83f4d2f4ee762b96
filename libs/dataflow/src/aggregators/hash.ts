/**
 * A deterministic 64-bit hash of hashable values, so every process (batch, speed, serving) puts the
 * same value in the same HyperLogLog register. No random seed, no platform dependence: the input is
 * a canonical byte string (a type byte, then UTF-8 for strings, little-endian IEEE 754 for numbers,
 * decimal text for bigints), mixed by two independent 32-bit lanes in the style of MurmurHash3 with
 * different seeds, then cross-mixed through a 32-bit avalanche finaliser.
 */
import { canonicalValue, type HashableValue } from './values.ts';

const SEED_HIGH = 0x2f0b_0c71;
const SEED_LOW = 0x6a09_e667;
const MIX_1 = 0xcc9e_2d51;
const MIX_2 = 0x1b87_3593;

const numberView = new DataView(new ArrayBuffer(8));

// Module-level mixing state: hashing is synchronous, so one state serves every call without allocating.
let laneHigh = 0;
let laneLow = 0;
let pendingWord = 0;
let pendingBytes = 0;
let totalBytes = 0;

function mixWord(lane: number, word: number): number {
  let k = Math.imul(word, MIX_1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, MIX_2);
  let h = lane ^ k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe654_6b64) | 0;
}

function pushByte(byte: number): void {
  pendingWord |= (byte & 0xff) << (pendingBytes * 8);
  pendingBytes++;
  totalBytes++;
  if (pendingBytes === 4) {
    laneHigh = mixWord(laneHigh, pendingWord);
    laneLow = mixWord(laneLow, pendingWord ^ 0x5bd1_e995);
    pendingWord = 0;
    pendingBytes = 0;
  }
}

function avalanche(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function pushString(text: string): void {
  for (let index = 0; index < text.length; index++) {
    let code = text.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        index++;
      }
    }
    if (code < 0x80) {
      pushByte(code);
    } else if (code < 0x800) {
      pushByte(0xc0 | (code >> 6));
      pushByte(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      pushByte(0xe0 | (code >> 12));
      pushByte(0x80 | ((code >> 6) & 0x3f));
      pushByte(0x80 | (code & 0x3f));
    } else {
      pushByte(0xf0 | (code >> 18));
      pushByte(0x80 | ((code >> 12) & 0x3f));
      pushByte(0x80 | ((code >> 6) & 0x3f));
      pushByte(0x80 | (code & 0x3f));
    }
  }
}

/** The two 32-bit halves of a 64-bit hash. */
export interface Hash64 {
  high: number;
  low: number;
}

/**
 * Hashes `value` into `out` (unsigned 32-bit halves) and returns `out`; reuse one `out` in hot loops.
 * `-0` hashes like `0`; `1`, `1n`, `'1'` and `true` hash differently.
 *
 * @example
 * ```ts
 * const h = hash64('user-42', { high: 0, low: 0 });
 * ```
 */
export function hash64(value: HashableValue, out: Hash64): Hash64 {
  laneHigh = SEED_HIGH;
  laneLow = SEED_LOW;
  pendingWord = 0;
  pendingBytes = 0;
  totalBytes = 0;
  const canonical = canonicalValue(value);
  switch (typeof canonical) {
    case 'boolean':
      pushByte(1);
      pushByte(canonical ? 1 : 0);
      break;
    case 'number':
      pushByte(2);
      numberView.setFloat64(0, canonical, true);
      for (let index = 0; index < 8; index++) pushByte(numberView.getUint8(index));
      break;
    case 'bigint':
      pushByte(3);
      pushString(canonical.toString());
      break;
    default:
      pushByte(4);
      pushString(canonical);
  }
  if (pendingBytes > 0) {
    laneHigh ^= Math.imul(pendingWord, MIX_1);
    laneLow ^= Math.imul(pendingWord ^ 0x5bd1_e995, MIX_2);
  }
  const high = avalanche(laneHigh ^ totalBytes);
  const low = avalanche((laneLow ^ totalBytes) + Math.imul(high, 0x9e37_79b1));
  out.high = avalanche(high ^ (low >>> 7));
  out.low = low;
  return out;
}
