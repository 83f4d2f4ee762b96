import { describe, expect, it } from 'vitest';
import { parseManifest } from './batch-manifest.ts';
import { splitIncrementKey } from './increments.ts';

describe('parseManifest', () => {
  const manifest = {
    format: 'oxbow-batch-manifest',
    version: 1,
    runId: 'r1',
    epochMs: 3_600_000,
    watermarkEpoch: 489012,
    endOffsets: { http_logs: { '0': '1200', '1': 1187 } },
  };

  it('reads the watermark and end offsets (numbers or strings)', () => {
    expect(parseManifest(JSON.stringify(manifest))).toEqual({
      runId: 'r1',
      epochMs: 3_600_000,
      watermarkEpoch: 489012,
      endOffsets: { http_logs: { '0': '1200', '1': '1187' } },
    });
  });

  it('gives a reason for torn or foreign documents', () => {
    expect(parseManifest('{"format":"oxbow-batch-manifest","vers')).toMatch(/not JSON/);
    expect(parseManifest(JSON.stringify({ ...manifest, version: 2 }))).toMatch(/version 1/);
    expect(parseManifest(JSON.stringify({ ...manifest, endOffsets: { t: { '0': '-1' } } }))).toMatch(
      /offset/,
    );
  });
});

describe('increment keys', () => {
  it('splits epoch, partition and a view key containing colons', () => {
    expect(splitIncrementKey('489012:2:/x:y')).toEqual({ epoch: 489012, partition: 2, key: '/x:y' });
  });
});
