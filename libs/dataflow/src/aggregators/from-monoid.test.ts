import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate, type Codec, fold } from './algebra.ts';
import { fromMonoid } from './from-monoid.ts';

const orMonoid = { zero: 0, plus: (a: number, b: number) => a | b };
const int32Codec: Codec<number> = {
  serialize: (value) => {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setInt32(0, value);
    return bytes;
  },
  deserialize: (bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(0),
};

describe('fromMonoid', () => {
  const flags = fromMonoid(orMonoid, {
    prepare: (event: { flags: number }) => event.flags,
    codec: int32Codec,
    kind: 'bitOr',
  });

  it('folds like plus over prepared inputs, for any split', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 })), fc.nat(), (values, cut) => {
        const events = values.map((value) => ({ flags: value }));
        const expected = values.reduce((a, b) => a | b, 0);
        const at = values.length === 0 ? 0 : cut % (values.length + 1);
        const merged = flags.plus(fold(flags, events.slice(0, at)), fold(flags, events.slice(at)));
        expect(flags.present(merged)).toBe(expected);
        expect(aggregate(flags, events)).toBe(expected);
      }),
    );
  });

  it('describes itself for fingerprints and stores states through its codec', () => {
    expect(flags.kind).toBe('bitOr');
    expect(flags.inputs).toHaveLength(1);
    expect(flags.codec.deserialize(flags.codec.serialize(13))).toBe(13);
  });
});
