import { loadConfig } from '@oxbow/config';
import { count, sum } from '@oxbow/dataflow';
import { defineLiveView, defineProject, defineSchema, defineView, f } from '@oxbow/views';
import { describe, expect, it } from 'vitest';
import { SpeedError } from './errors.ts';
import { deriveSpeedMemory } from './speed-memory.ts';
import { liveViewSettings, maxRateOf, resolveSpeedSettings } from './speed-options.ts';
import { viewFingerprintsOf, viewSetFingerprint } from './view-set.ts';

const clicks = defineSchema(
  'clicks',
  { time: f.timestamp(), page: f.string({ maxLength: 64 }), ms: f.int({ min: 0, max: 100_000 }) },
  { eventTime: 'time' },
);
const orders = defineSchema(
  'orders',
  { time: f.timestamp(), cents: f.int({ min: 0, max: 1_000_000 }) },
  { eventTime: 'time' },
);
const clicksPerPage = defineView({
  name: 'clicks_per_page',
  topic: 'clicks',
  bucket: '1m',
  key: 'page',
  fields: { clicks: count() },
});
const slowClicks = defineView({
  name: 'slow_clicks',
  topic: 'clicks',
  bucket: '1h',
  key: 'page',
  filter: (e) => e.ms > 1000,
  fields: { clicks: count() },
});
const revenue = defineView({
  name: 'revenue',
  topic: 'orders',
  bucket: '1d',
  key: () => 'all',
  fields: { cents: sum((e) => e.cents) },
});
const liveClicks = defineLiveView({
  name: 'live_clicks',
  topic: 'clicks',
  build: (events) => events.count(),
  present: (counts: number[]) => counts[0] ?? 0,
});
const project = defineProject({
  topics: { clicks, orders },
  views: [clicksPerPage, slowClicks, revenue],
  live: [liveClicks],
});
const config = (await loadConfig({ env: { OXBOW_SPEED_LIVE_WINDOW_MS: '4000' }, noFile: true })).config;

describe('memory-derived caps', () => {
  it('scale with the heap limit, with overrides', () => {
    const small = deriveSpeedMemory(512 * 2 ** 20);
    const large = deriveSpeedMemory(8 * 2 ** 30);
    expect(large.batchRecordsPerPartition).toBe(16 * small.batchRecordsPerPartition);
    expect(large.cellBytes).toBe(2 * 2 ** 30);
    expect(deriveSpeedMemory(8 * 2 ** 30, { cellBytes: 1 }).cellBytes).toBe(1);
    expect(deriveSpeedMemory(1).batchRecordsPerPartition).toBe(1_000);
  });

  it('replace the shipped default rate cap, and keep a configured one', async () => {
    const memory = deriveSpeedMemory(4 * 2 ** 30);
    expect(maxRateOf(20_000, 1000, memory)).toBe(memory.batchRecordsPerPartition);
    expect(maxRateOf(20_000, 500, memory)).toBe(2 * memory.batchRecordsPerPartition);
    expect(maxRateOf(5_000, 1000, memory)).toBe(5_000);
    const set = (await loadConfig({ env: { OXBOW_SPEED_MAX_RATE_PER_PARTITION: '700' }, noFile: true }))
      .config;
    expect(resolveSpeedSettings(set, project).maxRatePerPartition).toBe(700);
    expect(
      resolveSpeedSettings(config, project, { memory: { batchRecordsPerPartition: 3 } }).maxRatePerPartition,
    ).toBe(Math.floor((3 * 1000) / config.speedBatchMs));
  });
});

describe('resolveSpeedSettings', () => {
  it('consumes every project topic and maintains every view and live view by default', () => {
    const settings = resolveSpeedSettings(config, project);
    expect(settings.bindings.map((b) => [b.kafkaTopic, b.topic])).toEqual([
      ['clicks', 'clicks'],
      ['orders', 'orders'],
    ]);
    expect(settings.views.map((view) => view.name)).toEqual(['clicks_per_page', 'slow_clicks', 'revenue']);
    expect(settings.liveViews.map((live) => live.name)).toEqual(['live_clicks']);
    expect(settings.viewFingerprints).toEqual(viewFingerprintsOf(project.views));
    expect(settings.viewsFingerprint).toBe(viewSetFingerprint(project.views));
  });

  it('reads renamed Kafka topics, maintains only the views of consumed topics, and takes a subset of views', () => {
    const renamed = resolveSpeedSettings(config, project, { topics: 'web-clicks:clicks' });
    expect(renamed.bindings.map((b) => [b.kafkaTopic, b.topic])).toEqual([['web-clicks', 'clicks']]);
    expect(renamed.views.map((view) => view.name)).toEqual(['clicks_per_page', 'slow_clicks']);
    const subset = resolveSpeedSettings(config, project, { views: ['revenue'], liveViews: false });
    expect(subset.views.map((view) => view.name)).toEqual(['revenue']);
    expect(subset.liveViews).toEqual([]);
    expect(subset.viewsFingerprint).not.toBe(renamed.viewsFingerprint);
  });

  it('rejects unknown topics and views, and two Kafka topics for one project topic', () => {
    expect(() => resolveSpeedSettings(config, project, { topics: 'x:nope' })).toThrow(SpeedError);
    expect(() => resolveSpeedSettings(config, project, { views: ['nope'] })).toThrow(/unknown view "nope"/);
    expect(() => resolveSpeedSettings(config, project, { topics: 'a:clicks,b:clicks' })).toThrow(
      /both read as project topic clicks/,
    );
  });

  it("keeps a named instance's checkpoints in a directory of its own, and refuses an id that is no name", async () => {
    const named = async (id: string) =>
      (await loadConfig({ env: { OXBOW_LAKE: 's3://lake/x/', OXBOW_SPEED_INSTANCE_ID: id }, noFile: true }))
        .config;
    expect(resolveSpeedSettings(await named(''), project).checkpointDir).toBe(
      's3://lake/x/checkpoints/speed/',
    );
    expect(resolveSpeedSettings(await named('speed-1'), project).checkpointDir).toBe(
      's3://lake/x/checkpoints/speed/speed-1/',
    );
    for (const bad of ['..', 'a/b', 'a b']) {
      const bent = await named(bad);
      expect(() => resolveSpeedSettings(bent, project), bad).toThrow(/OXBOW_SPEED_INSTANCE_ID/);
    }
  });

  it('passes the generic live-view settings from the configuration, with overrides', () => {
    expect(liveViewSettings(config, { sessionIdleMs: 5 })).toEqual({
      requestsWindowMs: 4000,
      requestsSlideMs: config.speedLiveSlideMs,
      sessionIdleMs: 5,
      batchMs: config.speedBatchMs,
    });
    expect(
      resolveSpeedSettings(config, project, { liveViews: { anomalySigma: 4 } }).liveSettings,
    ).toMatchObject({ requestsWindowMs: 4000, anomalySigma: 4 });
  });
});

describe('viewSetFingerprint', () => {
  it('depends on the names and fingerprints of the views, not their order', () => {
    const a = { name: 'a', fingerprint: '1' };
    const b = { name: 'b', fingerprint: '2' };
    expect(viewSetFingerprint([a, b])).toBe(viewSetFingerprint([b, a]));
    expect(viewSetFingerprint([a, b])).toMatch(/^[0-9a-f]{16}$/);
    expect(viewSetFingerprint([a, { ...b, fingerprint: '3' }])).not.toBe(viewSetFingerprint([a, b]));
    expect(viewSetFingerprint([a])).not.toBe(viewSetFingerprint([a, b]));
    expect(viewFingerprintsOf([b, a])).toEqual({ a: '1', b: '2' });
  });

  it('changes when a view definition changes (its fingerprint does)', () => {
    const changed = defineProject({
      topics: { clicks, orders },
      views: [clicksPerPage, defineView({ ...slowClicks.spec, filter: (e) => e.ms > 2000 }), revenue],
    });
    expect(viewSetFingerprint(changed.views)).not.toBe(viewSetFingerprint(project.views));
  });
});
