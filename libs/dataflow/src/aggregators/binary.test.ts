import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from './binary.ts';

describe('ByteWriter', () => {
  it('hands out owned copies while reusing its buffers, nested or one after another', () => {
    const outer = new ByteWriter().byte(1).string('outer');
    const inner = new ByteWriter().float64(1.5).string('ünï').finish();
    const first = outer.bytes(inner).finish();
    const again = new ByteWriter().byte(9).byte(9).byte(9).finish();
    const reader = new ByteReader(first, 'test');
    expect([reader.byte(), reader.string()]).toEqual([1, 'outer']);
    const nested = new ByteReader(reader.bytes(), 'nested');
    expect([nested.float64(), nested.string()]).toEqual([1.5, 'ünï']);
    reader.end();
    expect([...again]).toEqual([9, 9, 9]);
    expect(first.byteLength).toBe(first.buffer.byteLength);
  });

  it('keeps what it wrote across finish: finishing again or writing on gives the longer bytes', () => {
    const writer = new ByteWriter(4).varuint(300).string('abc');
    const a = writer.finish();
    new ByteWriter().string('reuses the buffer the writer gave back').finish();
    const b = writer.finish();
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
    const c = writer.byte(7).finish();
    expect([...c]).toEqual([...a, 7]);
    expect([...a]).toEqual([0xac, 0x02, 3, 97, 98, 99]);
  });

  it('writes strings as UTF-8 whether ASCII or not', () => {
    for (const text of ['', 'path/1', 'é', '🚀 x', 'a'.repeat(300)]) {
      const bytes = new ByteWriter().string(text).finish();
      const reader = new ByteReader(bytes, 'string');
      expect(reader.string()).toBe(text);
      reader.end();
      const encoded = new TextEncoder().encode(text);
      expect([...bytes.subarray(bytes.length - encoded.length)]).toEqual([...encoded]);
    }
  });
});
