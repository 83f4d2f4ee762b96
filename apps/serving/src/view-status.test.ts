import type { BatchManifest } from '@oxbow/contracts';
import { describe, expect, it } from 'vitest';
import type { SpeedReport } from './realtime-store.ts';
import { batchStatusOf, speedStatusOf, ViewRebuildingError, viewStatusOf } from './view-status.ts';

const view = { name: 'rides_hourly', fingerprint: 'aaaaaaaaaaaaaaaa' };

const manifest = (
  entries: ReadonlyArray<{ name: string; rows: number; fingerprint?: string }>,
): BatchManifest => ({
  format: 'oxbow-batch-manifest',
  version: 1,
  runId: 'r1',
  epochMs: 3_600_000,
  watermarkEpoch: 7,
  endOffsets: {},
  views: entries.map((entry) => ({ ...entry, parquet: `views/v=r1/${entry.name}.parquet` })),
  duckdb: 'views/v=r1/views.duckdb',
  startedAt: '2026-11-24T12:00:00.000Z',
  finishedAt: '2026-11-24T12:00:01.000Z',
  durationsMs: { read: 1, compute: 1, write: 1 },
});

const report = (
  viewFingerprints: SpeedReport['viewFingerprints'],
  reported = true,
  replaying = false,
): SpeedReport => ({
  reported,
  status: { realtimeThrough: null, speedLagMs: null },
  viewFingerprints,
  replaying,
});

describe('view status', () => {
  it('is ready on the batch side without a manifest, or with the same fingerprint', () => {
    expect(batchStatusOf(view, undefined)).toEqual({ status: 'ready' });
    expect(
      batchStatusOf(view, manifest([{ name: 'rides_hourly', rows: 1, fingerprint: view.fingerprint }])),
    ).toEqual({ status: 'ready' });
  });

  it.each([
    [
      'another fingerprint',
      [{ name: 'rides_hourly', rows: 1, fingerprint: 'bbbbbbbbbbbbbbbb' }],
      /fingerprint bbbbbbbbbbbbbbbb, this server runs aaaaaaaaaaaaaaaa/,
    ],
    ['no fingerprint recorded', [{ name: 'rides_hourly', rows: 1 }], /did not record the fingerprint/],
    ['no table', [{ name: 'other', rows: 1, fingerprint: 'x' }], /has no table for it yet/],
  ])('is rebuilding on the batch side with %s', (_name, views, reason) => {
    const status = batchStatusOf(view, manifest(views));
    expect(status.status).toBe('rebuilding');
    expect(status.status === 'rebuilding' && status.reason).toMatch(reason);
  });

  it('is ready on the speed side before it reports, for a topic it does not read, or with the same fingerprint', () => {
    expect(speedStatusOf(view, report(undefined, false))).toEqual({ status: 'ready' });
    expect(speedStatusOf(view, report(undefined), false)).toEqual({ status: 'ready' });
    expect(speedStatusOf(view, report({ rides_hourly: view.fingerprint }))).toEqual({ status: 'ready' });
  });

  it.each([
    [
      'another fingerprint',
      { rides_hourly: 'bbbbbbbbbbbbbbbb' },
      /maintains it with fingerprint bbbbbbbbbbbbbbbb/,
    ],
    ['the view not listed', { other: 'x' }, /does not maintain it/],
    ['no fingerprints reported', undefined, /does not report the fingerprints/],
  ])('is rebuilding on the speed side with %s', (_name, fingerprints, reason) => {
    const status = speedStatusOf(view, report(fingerprints));
    expect(status.status === 'rebuilding' && status.reason).toMatch(reason);
  });

  it('is rebuilding on the speed side when its status vanished after it had reported (Redis lost its data)', () => {
    const lost = { ...report(undefined, false), lost: true };
    const status = speedStatusOf(view, lost);
    expect(status.status).toBe('rebuilding');
    expect(status.status === 'rebuilding' && status.reason).toMatch(/gone from Redis/);
    // A view over a topic the speed layer does not read has no realtime part to miss.
    expect(speedStatusOf(view, lost, false)).toEqual({ status: 'ready' });
  });

  it('is rebuilding on the speed side while it replays Kafka into a new generation', () => {
    const status = speedStatusOf(view, report({ rides_hourly: view.fingerprint }, true, true));
    expect(status.status === 'rebuilding' && status.reason).toMatch(/replaying Kafka/);
    expect(speedStatusOf(view, report({ rides_hourly: view.fingerprint }, true, true), false).status).toBe(
      'ready',
    );
  });

  it('gives the batch side reason first, and a 503 error naming the view', () => {
    const status = viewStatusOf(view, manifest([]), report({}));
    expect(status.status === 'rebuilding' && status.reason).toMatch(/has no table/);
    const error = new ViewRebuildingError('rides_hourly', 'because', 5);
    expect(error).toMatchObject({
      code: 'OXBOW_VIEW_REBUILDING',
      message: 'rides_hourly is rebuilding: because',
      retryAfterS: 5,
      retriable: true,
    });
  });
});
