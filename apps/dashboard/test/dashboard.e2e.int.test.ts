/**
 * The dashboard end to end: the serving app (over a lake with a published batch version, realtime increments in
 * Redis, a speed status and a live view) serves the built page at `/`; headless Chromium loads it, enters a read
 * API key, and the numbers the page shows — the explorer's totals, the top keys, the batch run, the speed layer's
 * counters and latest dead letters (reasons written as text), each model's version and parameters — equal the
 * API's answers for the same view, key and model. A
 * screenshot is kept under
 * `.oxbow/artifacts/dashboard/`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSpeedModel, RedisLayout, type SpeedModelRecord } from '@oxbow/contracts';
import { type RunningServer, startServing } from '@oxbow/serving';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exampleProject,
  foldStates,
  httpEvents,
  START_MS,
  writeBatchVersion,
  writeRealtime,
  writeSpeedStatus,
} from '../../serving/test/support/fixtures.ts';
import { type TestEnvironment, testEnvironment } from '../../serving/test/support/harness.ts';
import { chromiumMissing, launchChromium } from './support/chromium.ts';

const READ_KEY = 'dashboard-reader-01';
const EPOCH_MS = 3_600_000;
/** Events before this time are in the batch version, the others in the realtime increments of epoch E + 1. */
const WATERMARK_MS = START_MS + 2 * EPOCH_MS;
const WATERMARK_EPOCH = WATERMARK_MS / EPOCH_MS - 1;
const RUN_ID = '20261124T130000000Z-dddddddd';
const ARTIFACTS_DIR = fileURLToPath(new URL('../../../.oxbow/artifacts/dashboard/', import.meta.url));

const pageViews = exampleProject.view('page_views_hourly');
const sensorClusters = exampleProject.model('sensor_clusters');
const latencyPredictor = exampleProject.model('latency_predictor');
if (sensorClusters === undefined || latencyPredictor === undefined) {
  throw new Error('the example project declares sensor_clusters and latency_predictor');
}

/** The k-means model the batch version publishes: five sites' (temperature, humidity), as `@oxbow/ml` saves it. */
const SENSOR_CLUSTERS_SAVED = {
  format: 'oxbow-ml-model',
  type: 'kmeans',
  version: 1,
  clusterCenters: [
    [12.3456789, 81.25],
    [18.5, 55.123456],
    [21.04, 40.5],
    [27.75, 63.2],
    [33.125, 22.987654],
  ],
  summary: {
    trainingCost: 1834.56789,
    numIterations: 9,
    converged: true,
    clusterSizes: [410, 388, 402, 395, 405],
  },
};

/** The speed layer's latency predictor, started from the batch version's, with `weights` and `intercept`. */
function latencyPredictorRecord(weights: number[], intercept: number): SpeedModelRecord {
  return {
    format: 'oxbow-speed-model',
    version: 1,
    name: 'latency_predictor',
    kind: 'linear-regression',
    fingerprint: latencyPredictor?.fingerprint ?? '',
    baseRunId: RUN_ID,
    batchTime: START_MS + 5 * EPOCH_MS,
    // After the batch version was published: the served model is the speed layer's.
    updatedAt: new Date(Date.now() + 1000).toISOString(),
    examples: 321,
    model: { format: 'oxbow-ml-model', type: 'linear-regression', version: 1, weights, intercept },
  };
}
/** The dead letters of the speed status hash, as the speed layer writes them (newest first, `at` in ms). */
const RECENT_DEAD_LETTERS = [
  {
    topic: 'http_logs',
    partition: 1,
    offset: '9007199254740993',
    reason: 'SpeedError: <img src=x data-injected=1> status: expected an integer, got "abc"',
    at: START_MS + 5 * EPOCH_MS,
  },
  {
    topic: 'http_logs',
    partition: 0,
    offset: '41',
    reason: 'SpeedError: not JSON: Unexpected token n in JSON at position 1',
    at: START_MS + 4 * EPOCH_MS,
  },
];

const missing = chromiumMissing();
if (missing) console.warn(missing);

/** The text of an element of the page. */
async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? '';
}

/** A number as the page writes it (`1,234.57`), parsed back. */
function shownNumber(text: string): number {
  return Number(text.replaceAll(',', ''));
}

/** Expects the page's text for a model parameter to be the API's value (the page writes six significant digits). */
function expectParameter(text: string, value: number): void {
  expect(Math.abs(shownNumber(text) - value), `${text} shows ${value}`).toBeLessThanOrEqual(
    Math.abs(value) * 1e-5,
  );
}

/** Expects the page's text for a value to be the API's value (numbers to the page's two decimals). */
function expectShown(text: string, value: unknown): void {
  if (typeof value === 'number') {
    expect(shownNumber(text)).toBeCloseTo(value, 2);
  } else if (value === null) {
    expect(text).toBe('—');
  } else if (typeof value === 'object' && value !== null && 'p50' in value) {
    const { p50, p95, p99 } = value as Record<string, number | null>;
    const parts = text.split(' / ');
    expect(parts).toHaveLength(3);
    [p50, p95, p99].forEach((quantile, index) => {
      expectShown(parts[index] ?? '', quantile);
    });
  } else {
    expect(text).toBe(JSON.stringify(value));
  }
}

describe.skipIf(missing !== undefined)('dashboard in headless Chromium', () => {
  let env: TestEnvironment;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  /** Uncaught errors of the page's scripts: none expected. */
  const pageErrors: string[] = [];

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${server.url}${path}`, { headers: { 'x-api-key': READ_KEY } });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };

  const refreshes = async (): Promise<number> =>
    Number((await page.locator('body').getAttribute('data-refreshes')) ?? 0);

  beforeAll(async () => {
    env = await testEnvironment('dashboard');
    const events = httpEvents(3000, 14);
    const batchEvents = events.filter((event) => event.ts < WATERMARK_MS);
    const realtimeEvents = events.filter((event) => event.ts >= WATERMARK_MS);
    expect(batchEvents.length).toBeGreaterThan(0);
    expect(realtimeEvents.length).toBeGreaterThan(0);
    await writeBatchVersion({
      lakeDir: env.lakeDir,
      runId: RUN_ID,
      watermarkEpoch: WATERMARK_EPOCH,
      epochMs: EPOCH_MS,
      views: [{ view: pageViews, states: foldStates(pageViews, batchEvents) }],
      models: [
        { model: sensorClusters, saved: SENSOR_CLUSTERS_SAVED, examples: 2000 },
        {
          model: latencyPredictor,
          saved: {
            format: 'oxbow-ml-model',
            type: 'linear-regression',
            version: 1,
            weights: [-24.5, 95.75],
            intercept: 45.125,
            summary: { numIterations: 200, converged: true, lossHistory: [900, 80.5], numExamples: 1500 },
          },
          examples: 1500,
        },
      ],
    });
    await env.redis.set(
      new RedisLayout(env.prefix).model('latency_predictor'),
      encodeSpeedModel(latencyPredictorRecord([-26.0123456, 101.5], 47.25)),
    );
    await writeRealtime(
      env.redis,
      env.prefix,
      pageViews,
      WATERMARK_EPOCH + 1,
      0,
      foldStates(pageViews, realtimeEvents),
    );
    await writeSpeedStatus(env.redis, env.prefix, {
      fields: {
        lagMs: '1250',
        lagRecords: '42',
        realtimeThrough: String(START_MS + 5 * EPOCH_MS),
        lastBatchMs: '180',
        batches: '37',
        records: String(realtimeEvents.length),
        'records:http_logs': String(realtimeEvents.length),
        'deadLettered:http_logs': '7',
        deadLettered: '7',
        // Two of the seven as the speed layer remembers them, newest first; a reason with markup stays text.
        recentDeadLetters: JSON.stringify(RECENT_DEAD_LETTERS),
        updatedAt: String(Date.now()),
      },
    });
    await env.redis.set(
      new RedisLayout(env.prefix).live('live_requests_5m'),
      JSON.stringify({
        view: 'live_requests_5m',
        batchTime: Date.now(),
        updatedAt: Date.now(),
        value: { '/': 12 },
      }),
    );
    server = await startServing(env.with({ apiKeys: `${READ_KEY}:read` }), {
      redis: env.redis,
      project: exampleProject,
      port: 0,
      host: '127.0.0.1',
      logger: false,
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await env?.cleanup();
  });

  it('serves the page at / beside the API', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await response.text()).toContain('<title>Oxbow</title>');
    // The API's own answers are unchanged: an unknown route is still the API's 404, health still answers.
    const unknown = await fetch(`${server.url}/no-such-page`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toMatch(/^OXBOW_/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('asks for an API key, then shows the API numbers for the view and key', async () => {
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => Number(document.body.dataset.refreshes ?? 0) >= 1, undefined, {
      timeout: 60_000,
    });
    await expect.poll(() => text(page.locator('#views'))).toContain('needs an API key');
    await expect.poll(() => text(page.getByTestId('models'))).toContain('needs an API key');

    const before = await refreshes();
    await page.fill('#api-key', READ_KEY);
    await page.click('#key-form button[type=submit]');
    await page.waitForFunction((count) => Number(document.body.dataset.refreshes ?? 0) > count, before, {
      timeout: 60_000,
    });

    // The views the API lists are the views the page lists.
    const views = await api<{ views: { name: string }[] }>('/v1/views');
    for (const view of views.views) {
      expect(await page.getByTestId(`view-${view.name}`).count(), view.name).toBe(1);
    }

    // Top keys: the same keys in the same order with the same numbers.
    const top = await api<{ keys: { key: string; value: Record<string, unknown> }[] }>(
      '/v1/views/page_views_hourly/top?by=hits&limit=10',
    );
    expect(top.keys.length).toBeGreaterThan(1);
    await expect
      .poll(() => page.getByTestId('top-key').allTextContents())
      .toEqual(top.keys.map((entry) => entry.key));
    const topValues = await page.getByTestId('top-value').allTextContents();
    top.keys.forEach((entry, index) => {
      expectShown(topValues[index] ?? '', entry.value.hits);
    });

    // The explorer, on the second-busiest key, chosen as a user does.
    const key = top.keys[1]?.key ?? '';
    await page.selectOption('#explorer-view', 'page_views_hourly');
    await page.fill('#explorer-key', key);
    await page.click('[data-testid=explorer-show]');
    await expect.poll(() => text(page.getByTestId('explorer-freshness'))).toContain(`key "${key}"`);
    const answer = await api<{
      buckets: { bucket: string }[];
      total: Record<string, unknown>;
      freshness: { batchRunId: string };
    }>(`/v1/views/page_views_hourly?key=${encodeURIComponent(key)}`);
    expect(answer.freshness.batchRunId).toBe(RUN_ID);
    expect(answer.buckets.length).toBeGreaterThan(2);
    for (const { name: field } of pageViews.fields) {
      expectShown(await text(page.getByTestId(`total-${field}`)), answer.total[field]);
    }
    expect(await page.locator('[data-testid=explorer-chart] canvas').count()).toBeGreaterThan(0);
    // Buckets before the watermark are marked batch, those after it realtime.
    const parts = await page
      .locator('[data-testid=explorer-buckets] tbody tr td:nth-child(2)')
      .allTextContents();
    expect(parts).toHaveLength(answer.buckets.length);
    const expectedParts = [...answer.buckets]
      .reverse()
      .map((bucket) =>
        Date.parse(bucket.bucket) + pageViews.bucketMs <= WATERMARK_MS ? 'batch' : 'realtime',
      );
    expect(parts).toEqual(expectedParts);
    expect(new Set(parts)).toEqual(new Set(['batch', 'realtime']));

    // The batch layer and the speed layer as their routes answer.
    const manifests = await api<{ current: { runId: string; watermarkEpoch: number } }>(
      '/v1/batch/manifests',
    );
    expect(await text(page.getByTestId('batch-run'))).toBe(manifests.current.runId);
    expect(shownNumber(await text(page.getByTestId('batch-watermark')))).toBe(WATERMARK_EPOCH);
    expect(await page.getByTestId('run-duration').count()).toBe(1);
    const speed = await api<{ deadLettered: number; topics: { topic: string; records: number }[] }>(
      '/v1/speed/status',
    );
    expect(shownNumber(await text(page.getByTestId('speed-dead-lettered')))).toBe(speed.deadLettered);
    for (const topic of speed.topics) {
      expect(shownNumber(await text(page.getByTestId(`speed-records-${topic.topic}`)))).toBe(topic.records);
    }
    expect(speed.deadLettered).toBe(7);
    // The latest dead letters with their reasons, as the API lists them, written as text.
    const { recentDeadLetters } = await api<{
      recentDeadLetters: { topic: string; partition: number; offset: string; reason: string; at: string }[];
    }>('/v1/speed/status');
    expect(recentDeadLetters.map((letter) => letter.reason)).toEqual(
      RECENT_DEAD_LETTERS.map((letter) => letter.reason),
    );
    expect(await page.getByTestId('dead-letter-reason').allTextContents()).toEqual(
      recentDeadLetters.map((letter) => letter.reason),
    );
    expect(await page.getByTestId('dead-letter-offset').allTextContents()).toEqual(
      recentDeadLetters.map((letter) => letter.offset),
    );
    const firstRow = await text(page.locator('[data-testid=dead-letters-table] tbody tr').first());
    expect(firstRow).toContain('2026-11-24 ');
    expect(firstRow).toContain(`${recentDeadLetters[0]?.at.slice(11, 19)}Z`);
    expect(await page.locator('[data-injected]').count()).toBe(0);

    // Live views: the read key sees the shared one, not the personal one.
    await expect.poll(() => text(page.getByTestId('live-live_requests_5m'))).toContain('"/": 12');
    await expect
      .poll(() => text(page.getByTestId('live-active_sessions')))
      .toContain('needs an admin API key');

    expect(pageErrors).toEqual([]);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const screenshot = join(ARTIFACTS_DIR, 'dashboard.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`dashboard screenshot: ${screenshot}`);
  });

  it('shows each model as GET /v1/models/:name answers it, and follows the speed layer on refresh', async () => {
    const listed = await api<{ models: { name: string; kind: string }[] }>('/v1/models');
    expect(listed.models.map((model) => model.name)).toEqual(['sensor_clusters', 'latency_predictor']);
    for (const { name, kind } of listed.models) {
      const model = await api<{
        source: string;
        version: string;
        examples: number;
        model: Record<string, unknown>;
      }>(`/v1/models/${name}`);
      await expect.poll(() => text(page.getByTestId(`model-${name}-version`))).toBe(model.version);
      expect(await text(page.getByTestId(`model-${name}-kind`))).toBe(kind);
      expect(await text(page.getByTestId(`model-${name}-source`))).toBe(model.source);
      expect(shownNumber(await text(page.getByTestId(`model-${name}-examples`)))).toBe(model.examples);
    }

    // The batch layer's k-means model: every center's coordinates and points, and a scatter of the 2-D centers.
    const clusters = await api<{
      source: string;
      examples: number;
      model: { clusterCenters: number[][]; summary: { clusterSizes: number[] } };
    }>('/v1/models/sensor_clusters');
    expect(clusters.source).toBe('batch');
    expect(clusters.examples).toBe(2000);
    expect(clusters.model.clusterCenters).toEqual(SENSOR_CLUSTERS_SAVED.clusterCenters);
    for (const [index, center] of clusters.model.clusterCenters.entries()) {
      for (const [feature, value] of center.entries()) {
        expectParameter(
          await text(page.getByTestId(`model-sensor_clusters-center-${index}-${feature}`)),
          value,
        );
      }
      expect(shownNumber(await text(page.getByTestId(`model-sensor_clusters-center-${index}-points`)))).toBe(
        clusters.model.summary.clusterSizes[index],
      );
    }
    expect(await page.locator('[data-testid=model-sensor_clusters-scatter] canvas').count()).toBeGreaterThan(
      0,
    );

    // The latency predictor: the speed layer's (written after the batch version), weights and intercept.
    const predictor = await api<{ source: string; model: { weights: number[]; intercept: number } }>(
      '/v1/models/latency_predictor',
    );
    expect(predictor.source).toBe('speed');
    for (const [index, weight] of predictor.model.weights.entries()) {
      expectParameter(await text(page.getByTestId(`model-latency_predictor-weight-${index}`)), weight);
    }
    expectParameter(
      await text(page.getByTestId('model-latency_predictor-intercept')),
      predictor.model.intercept,
    );

    // The speed layer updates the model: the next automatic refresh shows the new version.
    await env.redis.set(
      new RedisLayout(env.prefix).model('latency_predictor'),
      encodeSpeedModel(latencyPredictorRecord([-25.5, 99.0625], 46.5)),
    );
    await expect.poll(() => text(page.getByTestId('model-latency_predictor-intercept'))).toBe('46.5');
    const updated = await api<{ model: { weights: number[] } }>('/v1/models/latency_predictor');
    for (const [index, weight] of updated.model.weights.entries()) {
      expectParameter(await text(page.getByTestId(`model-latency_predictor-weight-${index}`)), weight);
    }
    expect(pageErrors).toEqual([]);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const screenshot = join(ARTIFACTS_DIR, 'models.png');
    await page.locator('#models-section').screenshot({ path: screenshot });
    console.log(`models panel screenshot: ${screenshot}`);
  });

  it('answers a chosen range and a ranking by a quantile as the API does', async () => {
    const from = new Date(START_MS + EPOCH_MS).toISOString();
    const to = new Date(START_MS + 3 * EPOCH_MS).toISOString();
    await page.selectOption('#explorer-range', 'custom');
    await page.fill('#explorer-from', from);
    await page.fill('#explorer-to', to);
    await page.fill('#explorer-key', '/');
    await page.click('[data-testid=explorer-show]');
    await expect.poll(() => text(page.getByTestId('explorer-freshness'))).toMatch(/^2 buckets of key "\/"/);
    const answer = await api<{ total: Record<string, unknown> }>(
      `/v1/views/page_views_hourly?key=%2F&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    for (const { name: field } of pageViews.fields) {
      expectShown(await text(page.getByTestId(`total-${field}`)), answer.total[field]);
    }
    expect(page.url()).toContain(`from=${encodeURIComponent(from)}`);

    await page.selectOption('#top-by', 'latencyMs.p99');
    const top = await api<{ keys: { key: string; value: { latencyMs: { p99: number } } }[] }>(
      `/v1/views/page_views_hourly/top?by=latencyMs.p99&limit=10&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    await expect
      .poll(() => page.getByTestId('top-key').allTextContents())
      .toEqual(top.keys.map((entry) => entry.key));
    const values = await page.getByTestId('top-value').allTextContents();
    top.keys.forEach((entry, index) => {
      expectShown(values[index] ?? '', entry.value.latencyMs.p99);
    });
    expect(pageErrors).toEqual([]);
  });
});
