import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../errors/contract-error.ts';
import { epochOf } from './epochs.ts';
import {
  epochDir,
  epochPrefix,
  historyManifestPath,
  LOCK_PATH,
  MANIFEST_HISTORY_DIR,
  MANIFEST_PATH,
  parseLakePath,
  parsePartFileName,
  partFileName,
  partFilePath,
  runIdOfHistoryManifest,
  runIdOfVersionPath,
  sealedPath,
  topicPrefix,
  versionDir,
} from './lake-layout.ts';

const topicName = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,19}$/);
const offset = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n });
const partFile = fc
  .record({
    topic: topicName,
    epoch: fc.nat(),
    partition: fc.nat({ max: 100_000 }),
    firstOffset: offset,
    span: fc.bigInt({ min: 0n, max: 2n ** 40n }),
  })
  .map(({ span, ...file }) => ({ ...file, lastOffset: file.firstOffset + span }));

describe('lake layout', () => {
  it('spells the paths of the contract (byte for byte what existing lakes hold)', () => {
    expect(
      partFilePath({ topic: 'http_logs', epoch: 489012, partition: 2, firstOffset: 100n, lastOffset: 199n }),
    ).toBe('events/http_logs/epoch=489012/part-2-100-199.parquet');
    expect(partFileName(0, 0n, 0n)).toBe('part-0-0-0.parquet');
    expect(sealedPath('sensor_readings', 7)).toBe('events/sensor_readings/epoch=7/_sealed');
    expect(topicPrefix('http_logs')).toBe('events/http_logs/');
    expect(epochDir('http_logs', 3)).toBe('events/http_logs/epoch=3');
    expect(epochPrefix('http_logs', 3)).toBe('events/http_logs/epoch=3/');
    expect([MANIFEST_PATH, MANIFEST_HISTORY_DIR, LOCK_PATH]).toEqual([
      'views/_manifest.json',
      'views/_manifests',
      'views/_lock',
    ]);
    expect(versionDir('20261124T130000000Z-0a1b2c3d')).toBe('views/v=20261124T130000000Z-0a1b2c3d');
    expect(historyManifestPath('r1')).toBe('views/_manifests/r1.json');
  });

  it('parses every part file it names back (any int64 offsets)', () => {
    fc.assert(
      fc.property(partFile, (file) => {
        expect(parseLakePath(partFilePath(file))).toEqual({ kind: 'part', ...file });
        const { partition, firstOffset, lastOffset } = file;
        expect(parsePartFileName(partFileName(partition, firstOffset, lastOffset))).toEqual({
          partition,
          firstOffset,
          lastOffset,
        });
      }),
    );
  });

  it('parses every seal it names back', () => {
    fc.assert(
      fc.property(topicName, fc.nat(), (topic, epoch) => {
        expect(parseLakePath(sealedPath(topic, epoch))).toEqual({ kind: 'sealed', topic, epoch });
      }),
    );
  });

  it('recognises temporary files and ignores anything else', () => {
    expect(parseLakePath('events/t/epoch=3/.part-0-1-2.parquet.oxbow-tmp-ab12')).toEqual({
      kind: 'temporary',
      topic: 't',
    });
    expect(parseLakePath('events/t/.staging')).toEqual({ kind: 'temporary', topic: 't' });
    for (const path of [
      'events/t/epoch=3/part-0-01-2.parquet',
      'events/t/epoch=3/part-00-1-2.parquet',
      'events/t/epoch=3/part-0-5-4.parquet',
      'events/t/epoch=x/part-0-1-2.parquet',
      'events/t/epoch=03/_sealed',
      'events/t/epoch=3/part-0-1-2.parquet.bak',
      'events/t/epoch=3/sub/part-0-1-2.parquet',
      'events/t/epoch=3/_sealed/x',
      'events//epoch=3/_sealed',
      'events/t/epoch=99999999999999999999/_sealed',
      'views/_manifest.json',
      'events/t',
      '',
    ]) {
      expect(parseLakePath(path), path).toEqual({ kind: 'other' });
    }
  });

  it('refuses to build paths that would break the layout', () => {
    expect(() => topicPrefix('')).toThrow(ContractError);
    expect(() => topicPrefix('a/b')).toThrow(/topic "a\/b"/);
    expect(() => sealedPath('.hidden', 1)).toThrow(ContractError);
    expect(() => epochDir('t', -1)).toThrow(/epoch -1/);
    expect(() => epochDir('t', 1.5)).toThrow(ContractError);
    expect(() => partFileName(0, 5n, 4n)).toThrow(/offset range/);
    expect(() => partFileName(-1, 0n, 0n)).toThrow(/partition/);
    expect(() => versionDir('../x')).toThrow(ContractError);
    expect(() => historyManifestPath('')).toThrow(ContractError);
  });

  it('reads run ids back from history manifest paths only', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Za-z_-][0-9A-Za-z._-]{0,30}$/), (runId) => {
        expect(runIdOfHistoryManifest(historyManifestPath(runId))).toBe(runId);
      }),
    );
    for (const path of [
      'views/_manifests/.r1.json.tmp',
      'views/_manifests/.r1.json',
      'views/_manifests/r1.txt',
      'views/_manifests/a/b.json',
      'views/_manifest.json',
      'views/_manifests/.json',
    ]) {
      expect(runIdOfHistoryManifest(path), path).toBeUndefined();
    }
  });

  it('reads run ids back from paths inside version directories', () => {
    expect(runIdOfVersionPath(`${versionDir('r1')}/views.duckdb`)).toBe('r1');
    expect(runIdOfVersionPath('views/v=r1/a/b.parquet')).toBe('r1');
    for (const path of [
      'views/v=r1',
      'views/v=/x',
      'views/v=.tmp/x',
      'views/_manifest.json',
      'events/v=r1/x',
    ]) {
      expect(runIdOfVersionPath(path), path).toBeUndefined();
    }
  });

  it('files an append time in floor(appendTimeMs / epochMs)', () => {
    expect(epochOf(0, 1000)).toBe(0);
    expect(epochOf(1999, 1000)).toBe(1);
    expect(epochOf(2000, 1000)).toBe(2);
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 45 }), fc.integer({ min: 1, max: 10 ** 8 }), (appendTimeMs, epochMs) => {
        const epoch = epochOf(appendTimeMs, epochMs);
        expect(epoch * epochMs).toBeLessThanOrEqual(appendTimeMs);
        expect((epoch + 1) * epochMs).toBeGreaterThan(appendTimeMs);
      }),
    );
  });
});
