/**
 * The answer is batch ⊕ realtime(epochs > E), exactly: a batch part in DuckDB plus realtime parts in Redis
 * (several epochs and partitions, buckets shared between the parts) give what the aggregator computes from
 * all the events at once. Increments of epochs ≤ E are ignored.
 */
import type { Aggregator } from '@oxbow/dataflow';
import { bucketStart } from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type ServingServer } from '../src/index.ts';
import {
  type AnyView,
  exampleProject,
  foldStates,
  type HttpLogEvent,
  httpEvents,
  writeBatchVersion,
  writeRealtime,
  writeSpeedStatus,
} from './support/fixtures.ts';
import { generatedAdminKey, type TestEnvironment, testEnvironment } from './support/harness.ts';

const WATERMARK = 1000;
const pageViews = exampleProject.view('page_views_hourly');
const statusMinutely = exampleProject.view('status_minutely');

function nullify(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, nullify(inner)]));
}

/** Distinct counts as the API presents them: rounded to integers unless the raw estimate is asked for. */
function rounded(view: AnyView, value: unknown, raw: boolean): unknown {
  if (raw) return value;
  const out = { ...(value as Record<string, unknown>) };
  for (const field of view.fields) {
    const inner = out[field.name];
    if (field.kind === 'distinct' && typeof inner === 'number') out[field.name] = Math.round(inner);
  }
  return out;
}

/** What the API must answer for `key`, straight from all the events. */
function expected(
  view: AnyView,
  events: readonly HttpLogEvent[],
  key: string,
  fromMs = -Infinity,
  toMs = Infinity,
  raw = false,
) {
  const aggregator = view.aggregator as Aggregator<HttpLogEvent, unknown, unknown>;
  const byBucket = new Map<number, HttpLogEvent[]>();
  const all: HttpLogEvent[] = [];
  for (const event of events) {
    const bucket = bucketStart(view.timeOf(event), view.bucketMs);
    if (view.keyOf(event) !== key || bucket < fromMs || bucket >= toMs) continue;
    byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), event]);
    all.push(event);
  }
  const fold = (items: HttpLogEvent[]) => {
    let state = aggregator.zero;
    for (const item of items) state = aggregator.append(state, item);
    return rounded(view, nullify(aggregator.present(state)), raw);
  };
  return {
    buckets: [...byBucket.entries()]
      .sort(([a], [b]) => a - b)
      .map(([bucket, items]) => ({ bucket: new Date(bucket).toISOString(), value: fold(items) })),
    total: fold(all),
  };
}

describe('batch ⊕ realtime', () => {
  let env: TestEnvironment;
  let server: ServingServer;
  const events = httpEvents(600, 11);
  const batchEvents = events.slice(0, 300);
  const realtimeEvents = events.slice(300);

  beforeAll(async () => {
    env = await testEnvironment('merge');
    await writeBatchVersion({
      lakeDir: env.lakeDir,
      runId: '20261124T120000000Z-aaaaaaaa',
      watermarkEpoch: WATERMARK,
      epochMs: 3_600_000,
      views: [
        { view: pageViews, states: foldStates(pageViews, batchEvents) },
        { view: statusMinutely, states: foldStates(statusMinutely, batchEvents) },
      ],
    });
    // Realtime: two epochs after E, three partitions each.
    for (const [index, view] of [pageViews, statusMinutely].entries()) {
      for (let epoch = WATERMARK + 1; epoch <= WATERMARK + 2; epoch++) {
        for (let partition = 0; partition < 3; partition++) {
          const part = realtimeEvents.filter(
            (_, i) => (i < 150 ? WATERMARK + 1 : WATERMARK + 2) === epoch && i % 3 === partition,
          );
          await writeRealtime(env.redis, env.prefix, view, epoch, partition, foldStates(view, part));
        }
      }
      // Increments of epoch E (already in the batch part, not yet expired by the speed layer) must be ignored.
      await writeRealtime(env.redis, env.prefix, view, WATERMARK, index, foldStates(view, batchEvents));
    }
    await writeSpeedStatus(env.redis, env.prefix);
    server = await buildServer(env.config, { redis: env.redis, project: exampleProject });
  });

  afterAll(async () => {
    await server?.close();
    await env?.cleanup();
  });

  it('answers every key exactly as the aggregator over all events', async () => {
    const keys = [...new Set(events.map((event) => pageViews.keyOf(event)))];
    expect(keys.length).toBeGreaterThan(3);
    for (const key of keys) {
      const response = await server.app.inject({ url: '/v1/views/page_views_hourly', query: { key } });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.buckets.length).toBeGreaterThan(0);
      expect({ buckets: body.buckets, total: body.total }).toEqual(expected(pageViews, events, key));
      expect(body.freshness).toMatchObject({
        batchRunId: '20261124T120000000Z-aaaaaaaa',
        batchWatermarkEpoch: WATERMARK,
      });
    }
  });

  it('gives the raw distinct-count estimates with raw=true, and the error bounds', async () => {
    const response = await server.app.inject({
      url: '/v1/views/page_views_hourly',
      query: { key: '/', raw: 'true' },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect({ buckets: body.buckets, total: body.total }).toEqual(
      expected(pageViews, events, '/', -Infinity, Infinity, true),
    );
    expect(Number.isInteger(body.total.uniqueUsers)).toBe(false);
    expect(body.accuracy).toEqual({
      uniqueUsers: { kind: 'relative-standard-error', relative: 1.04 / Math.sqrt(2 ** 12) },
      latencyMs: { kind: 'relative-value', relative: 0.01 },
    });
    const rounded = await server.app.inject({ url: '/v1/views/page_views_hourly', query: { key: '/' } });
    expect(rounded.json().total.uniqueUsers).toBe(Math.round(body.total.uniqueUsers));
    const top = await server.app.inject({
      url: '/v1/views/page_views_hourly/top',
      query: { by: 'uniqueUsers', raw: 'true' },
    });
    expect(top.json().keys[0].value.uniqueUsers).not.toBe(Math.round(top.json().keys[0].value.uniqueUsers));
  });

  it('restricts to [from, to) bucket starts', async () => {
    const fromMs = bucketStart(events[0]?.ts ?? 0, 3_600_000);
    const toMs = fromMs + 3_600_000;
    const response = await server.app.inject({
      url: '/v1/views/page_views_hourly',
      query: { key: '/', from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.buckets).toHaveLength(1);
    expect({ buckets: body.buckets, total: body.total }).toEqual(
      expected(pageViews, events, '/', fromMs, toMs),
    );
    expect(body.from).toBe(new Date(fromMs).toISOString());
  });

  it('ranks keys by a field over batch ⊕ realtime', async () => {
    for (const view of [pageViews, statusMinutely]) {
      const keys = [...new Set(events.map((event) => view.keyOf(event)))];
      const totals = keys
        .map((key) => ({ key, value: expected(view, events, key).total as Record<string, number> }))
        .sort((a, b) => (b.value.hits ?? 0) - (a.value.hits ?? 0) || (a.key < b.key ? -1 : 1));
      const response = await server.app.inject({
        url: `/v1/views/${view.name}/top`,
        query: { by: 'hits', limit: '3' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().keys).toEqual(totals.slice(0, 3));
    }
    const p99 = await server.app.inject({
      url: '/v1/views/page_views_hourly/top',
      query: { by: 'latencyMs.p99' },
    });
    expect(p99.statusCode).toBe(200);
    const ranks = p99
      .json()
      .keys.map((entry: { value: { latencyMs: { p99: number } } }) => entry.value.latencyMs.p99);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });

  it('lists the views with fields, bucket size and merge state', async () => {
    const response = await server.app.inject('/v1/views');
    expect(response.statusCode).toBe(200);
    const page = response.json().views.find((view: { name: string }) => view.name === 'page_views_hourly');
    expect(page).toMatchObject({
      bucketMs: 3_600_000,
      topic: 'http_logs',
      merge: {
        batchRunId: '20261124T120000000Z-aaaaaaaa',
        batchWatermarkEpoch: WATERMARK,
        realtimeEpochs: [WATERMARK + 1, WATERMARK + 2],
      },
    });
    expect(page.fields.map((field: { name: string }) => field.name)).toEqual([
      'hits',
      'errors',
      'bytes',
      'uniqueUsers',
      'latencyMs',
    ]);
    expect(page.merge.batchRows).toBeGreaterThan(0);
  });

  it('reads a speed-only view from its live JSON', async () => {
    // A personal live view takes the admin key (generated: no keys are configured here).
    const empty = await server.app.inject({
      url: '/v1/live/active_sessions',
      headers: { 'x-api-key': generatedAdminKey(env.config.stateDir) },
    });
    expect(empty.json()).toEqual({ view: 'active_sessions', value: null });
    await env.redis.set(
      `${env.prefix}live:live_requests_5m`,
      JSON.stringify({ requests: 42, windowEnd: 'x' }),
    );
    const live = await server.app.inject('/v1/live/live_requests_5m');
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ view: 'live_requests_5m', value: { requests: 42, windowEnd: 'x' } });
    expect(live.headers['cache-control']).toBe('no-cache');
  });
});
