import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../errors/contract-error.ts';
import { decodeSealedMarker, encodeSealedMarker, type SealedMarker } from './sealed-marker.ts';

const marker: SealedMarker = {
  topic: 'http_logs',
  epoch: 489012,
  epochMs: 3_600_000,
  sealedAt: '2025-10-14T13:00:00.250Z',
  endOffsets: { '0': '1200', '1': '1187' },
};

const offsets = fc.dictionary(
  fc.nat({ max: 1000 }).map(String),
  fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
);
const markers = fc.record({
  topic: fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/),
  epoch: fc.nat(),
  epochMs: fc.integer({ min: 1, max: 2 ** 40 }),
  sealedAt: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  endOffsets: offsets,
});

describe('_sealed markers', () => {
  it('are written as the archiver always wrote them: one line of JSON in the contract order', () => {
    expect(new TextDecoder().decode(encodeSealedMarker(marker))).toBe(
      '{"topic":"http_logs","epoch":489012,"epochMs":3600000,"sealedAt":"2025-10-14T13:00:00.250Z",' +
        '"endOffsets":{"0":"1200","1":"1187"}}\n',
    );
  });

  it('decode what they encode', () => {
    fc.assert(
      fc.property(markers, (value) => {
        expect(decodeSealedMarker(encodeSealedMarker(value), 'x')).toEqual(value);
      }),
    );
  });

  it('accept offsets written as numbers', () => {
    const text = JSON.stringify({ ...marker, endOffsets: { '0': 1200 } });
    expect(decodeSealedMarker(text, 'x').endOffsets).toEqual({ '0': '1200' });
  });

  it('reject markers that break the contract, naming the path and the field', () => {
    const path = 'events/t/epoch=1/_sealed';
    const bad = (change: Record<string, unknown>) => JSON.stringify({ ...marker, ...change });
    expect(() => decodeSealedMarker('{"topic":', path)).toThrow(/events\/t\/epoch=1\/_sealed is not JSON/);
    expect(() => decodeSealedMarker('[]', path)).toThrow(/not an object/);
    expect(() => decodeSealedMarker(bad({ endOffsets: null }), path)).toThrow(/endOffsets is not an object/);
    expect(() => decodeSealedMarker(bad({ endOffsets: { '0': '-1' } }), path)).toThrow(/endOffsets.0/);
    expect(() => decodeSealedMarker(bad({ endOffsets: { '0': '01' } }), path)).toThrow(/endOffsets.0/);
    expect(() => decodeSealedMarker(bad({ endOffsets: { p: '1' } }), path)).toThrow(/partition "p"/);
    expect(() => decodeSealedMarker(bad({ epoch: -1 }), path)).toThrow(/epoch/);
    expect(() => decodeSealedMarker(bad({ epochMs: 0 }), path)).toThrow(/epochMs/);
    expect(() => decodeSealedMarker(bad({ topic: undefined }), path)).toThrow(/topic/);
    try {
      decodeSealedMarker(bad({ sealedAt: 5 }), path);
      expect.unreachable();
    } catch (error) {
      expect(ContractError.is(error, 'OXBOW_LAKE_LAYOUT')).toBe(true);
      expect((error as Error).message).toBe(`${path}: sealedAt is not a non-empty string`);
    }
  });
});
