/**
 * The HTTP surface: validation errors (400/404 with a message, never 500), API key scopes, rate limiting,
 * ETag/304 and Cache-Control, /metrics, /docs, /healthz, /readyz, the admin batch-run routes, and one real
 * listen on 127.0.0.1.
 */
import { VIEWS } from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type ServingServer, startServing } from '../src/index.ts';
import {
  type AnyView,
  foldStates,
  httpEvents,
  writeBatchVersion,
  writeRealtime,
} from './support/fixtures.ts';
import { type TestEnvironment, testEnvironment } from './support/harness.ts';

const pageViews = VIEWS.page_views_hourly as unknown as AnyView;
const READ_KEY = 'reader-key-0001';
const ADMIN_KEY = 'admin-key-00001';
const LIMITED_KEY = 'limited-key-001';

describe('serving API', () => {
  let env: TestEnvironment;
  let open: ServingServer;
  let secured: ServingServer;
  let finishRun: (value: unknown) => void = () => {};
  let triggered = 0;

  beforeAll(async () => {
    env = await testEnvironment('api');
    const events = httpEvents(100, 3);
    await writeBatchVersion({
      lakeDir: env.lakeDir,
      runId: '20261124T120000000Z-cccccccc',
      watermarkEpoch: 5,
      epochMs: 3_600_000,
      views: [{ view: pageViews, states: foldStates(pageViews, events.slice(0, 50)) }],
    });
    await writeRealtime(env.redis, env.prefix, pageViews, 6, 0, foldStates(pageViews, events.slice(50)));
    await env.redis.hset(`${env.prefix}speed:status`, {
      lagMs: '250',
      realtimeThrough: String(Date.parse('2026-11-24T12:30:00Z')),
    });
    open = await buildServer(env.with({ apiMaxRangeDays: 30 }), { redis: env.redis });
    secured = await buildServer(
      env.with({ apiKeys: `${READ_KEY}:read,${ADMIN_KEY}:admin,${LIMITED_KEY}:read`, apiRateLimit: 1000 }),
      {
        redis: env.redis,
        triggerBatchRun: () => {
          triggered++;
          return new Promise((resolve) => {
            finishRun = resolve;
          });
        },
      },
    );
  });

  afterAll(async () => {
    await open?.close();
    await secured?.close();
    await env?.cleanup();
  });

  it.each([
    ['unknown view', '/v1/views/nope?key=x', 404, /unknown view "nope" \(views: page_views_hourly, /],
    ['unknown live view', '/v1/live/page_views_hourly', 404, /unknown live view "page_views_hourly"/],
    ['unknown route', '/v2/anything', 404, /no route GET \/v2\/anything/],
    ['missing key', '/v1/views/page_views_hourly', 400, /querystring parameter "key" is required/],
    ['empty key', '/v1/views/page_views_hourly?key=', 400, /key must NOT have fewer than 1 characters/],
    ['bad time', '/v1/views/page_views_hourly?key=/&from=yesterday', 400, /from is not an ISO-8601 time/],
    [
      'impossible date',
      '/v1/views/page_views_hourly?key=/&to=2026-13-45T00:00:00Z',
      400,
      /to "2026-13-45T00:00:00Z" is not an ISO-8601 time/,
    ],
    [
      'from after to',
      '/v1/views/page_views_hourly?key=/&from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z',
      400,
      /from \(2026-11-25T00:00:00Z\) is after to/,
    ],
    [
      'range too long',
      '/v1/views/page_views_hourly?key=/&from=2026-01-01T00:00:00Z&to=2026-11-24T00:00:00Z',
      400,
      /longer than the maximum of 30 days/,
    ],
    [
      'unknown by field',
      '/v1/views/page_views_hourly/top?by=latency',
      400,
      /unknown field "latency" for view page_views_hourly \(fields: hits, errors, bytes, uniqueUsers, latencyMs.p50/,
    ],
    ['missing by', '/v1/views/page_views_hourly/top', 400, /querystring parameter "by" is required/],
    ['limit too large', '/v1/views/page_views_hourly/top?by=hits&limit=5000', 400, /limit must be <= 1000/],
    ['limit not a number', '/v1/views/page_views_hourly/top?by=hits&limit=ten', 400, /limit must be integer/],
    ['unknown view in top', '/v1/views/nope/top?by=hits', 404, /unknown view "nope"/],
  ])('%s → %i with a message', async (_name, url, status, message) => {
    const response = await open.app.inject(url);
    expect(response.statusCode).toBe(status);
    const body = response.json();
    expect(body.statusCode).toBe(status);
    expect(body.message).toMatch(message);
    expect(body.code).toMatch(/^OXBOW_/);
  });

  it('rejects a body over the size limit', async () => {
    const response = await secured.app.inject({
      method: 'POST',
      url: '/v1/batch/runs',
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(4096) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().message).toMatch(/too large/i);
  });

  it('reports freshness and sets ETag, Cache-Control and 304', async () => {
    const first = await open.app.inject({ url: '/v1/views/page_views_hourly', query: { key: '/' } });
    expect(first.statusCode).toBe(200);
    expect(first.json().freshness).toEqual({
      batchRunId: '20261124T120000000Z-cccccccc',
      batchWatermarkEpoch: 5,
      realtimeThrough: '2026-11-24T12:30:00.000Z',
      speedLagMs: 250,
    });
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=1, must-revalidate');
    const again = await open.app.inject({
      url: '/v1/views/page_views_hourly',
      query: { key: '/' },
      headers: { 'if-none-match': String(etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    // New realtime data changes the answer, so the old ETag no longer matches.
    await writeRealtime(env.redis, env.prefix, pageViews, 7, 1, foldStates(pageViews, httpEvents(5, 99)));
    const changed = await open.app.inject({
      url: '/v1/views/page_views_hourly',
      query: { key: '/' },
      headers: { 'if-none-match': String(etag) },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('requires API keys with the right scope when configured', async () => {
    const url = '/v1/views/page_views_hourly?key=/';
    expect((await secured.app.inject(url)).statusCode).toBe(401);
    const wrong = await secured.app.inject({ url, headers: { 'x-api-key': 'not-a-key-at-all' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().message).toBe('unknown API key');
    const read = await secured.app.inject({ url, headers: { 'x-api-key': READ_KEY } });
    expect(read.statusCode).toBe(200);
    expect(read.headers['cache-control']).toMatch(/^private/);
    const bearer = await secured.app.inject({ url, headers: { authorization: `Bearer ${READ_KEY}` } });
    expect(bearer.statusCode).toBe(200);
    const forbidden = await secured.app.inject({
      method: 'POST',
      url: '/v1/batch/runs',
      headers: { 'x-api-key': READ_KEY },
    });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().message).toMatch(/needs admin/);
    expect(triggered).toBe(0);
    // Health, readiness, metrics and docs stay open.
    expect((await secured.app.inject('/healthz')).statusCode).toBe(200);
    expect((await secured.app.inject('/docs')).statusCode).toBe(200);
  });

  it('triggers and reports batch runs with the admin scope', async () => {
    const started = await secured.app.inject({
      method: 'POST',
      url: '/v1/batch/runs',
      headers: { 'x-api-key': ADMIN_KEY },
    });
    expect(started.statusCode).toBe(202);
    const run = started.json();
    expect(run).toMatchObject({ status: 'running', finishedAt: null });
    expect(started.headers.location).toBe(`/v1/batch/runs/${run.id}`);
    await expect.poll(() => triggered).toBe(1);
    const busy = await secured.app.inject({
      method: 'POST',
      url: '/v1/batch/runs',
      headers: { 'x-api-key': ADMIN_KEY },
    });
    expect(busy.statusCode).toBe(409);
    finishRun({ runId: 'r1' });
    await expect
      .poll(
        async () =>
          (
            await secured.app.inject({ url: `/v1/batch/runs/${run.id}`, headers: { 'x-api-key': ADMIN_KEY } })
          ).json().status,
      )
      .toBe('succeeded');
    const done = await secured.app.inject({
      url: `/v1/batch/runs/${run.id}`,
      headers: { 'x-api-key': ADMIN_KEY },
    });
    expect(done.json()).toMatchObject({ result: { runId: 'r1' } });
    const missing = await secured.app.inject({
      url: '/v1/batch/runs/nope',
      headers: { 'x-api-key': ADMIN_KEY },
    });
    expect(missing.statusCode).toBe(404);
    const notConfigured = await open.app.inject({ method: 'POST', url: '/v1/batch/runs' });
    expect(notConfigured.statusCode).toBe(501);
  });

  it('rate-limits per API key', async () => {
    const limitedServer = await buildServer(
      env.with({ apiKeys: `${READ_KEY}:read,${LIMITED_KEY}:read`, apiRateLimit: 5 }),
      { redis: env.redis },
    );
    try {
      const url = '/v1/views/page_views_hourly?key=/';
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push(
          (await limitedServer.app.inject({ url, headers: { 'x-api-key': LIMITED_KEY } })).statusCode,
        );
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await limitedServer.app.inject({ url, headers: { 'x-api-key': LIMITED_KEY } });
      expect(limited.json()).toMatchObject({
        code: 'OXBOW_RATE_LIMITED',
        message: expect.stringMatching(/rate limit/i),
      });
      expect(limited.headers['retry-after']).toBeDefined();
      // Another key has its own budget.
      expect((await limitedServer.app.inject({ url, headers: { 'x-api-key': READ_KEY } })).statusCode).toBe(
        200,
      );
    } finally {
      await limitedServer.close();
    }
  });

  it('serves /healthz, /readyz, /metrics and the OpenAPI document', async () => {
    expect((await open.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await open.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      ready: true,
      checks: { batch: { ok: true, watermarkEpoch: 5 }, redis: { ok: true } },
    });
    const metrics = await open.app.inject('/metrics');
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(
      /oxbow_http_requests_total\{method="GET",route="\/v1\/views\/:view",status="200"\} \d+/,
    );
    expect(metrics.body).toMatch(
      /oxbow_http_requests_total\{method="GET",route="\/v1\/views\/:view",status="400"\} \d+/,
    );
    expect(metrics.body).toMatch(
      /oxbow_http_request_duration_seconds_count\{route="\/v1\/views\/:view"\} \d+/,
    );
    expect(metrics.body).toContain('oxbow_serving_batch_watermark_epoch 5');
    const docs = await open.app.inject('/docs');
    const document = docs.json();
    expect(document.openapi).toBe('3.0.3');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/views',
        '/v1/views/{view}',
        '/v1/views/{view}/top',
        '/v1/live/{view}',
        '/v1/batch/runs',
        '/healthz',
        '/readyz',
        '/metrics',
      ]),
    );
    expect(document.paths['/v1/views/{view}'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['key', 'from', 'to', 'view']),
    );
    expect((await open.app.inject('/docs/json')).json()).toEqual(document);
  });

  it('is not ready when Redis does not answer', async () => {
    const { Redis } = await import('ioredis');
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    dead.on('error', () => {});
    const server = await buildServer(env.config, { redis: dead });
    try {
      const ready = await server.app.inject('/readyz');
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.redis).toEqual({ ok: false, message: 'Redis does not answer PING' });
      const query = await server.app.inject('/v1/views/page_views_hourly?key=/');
      expect(query.statusCode).toBe(503);
      expect(query.json()).toMatchObject({
        code: 'OXBOW_UNAVAILABLE',
        message: expect.stringMatching(/^Redis is unavailable/),
      });
    } finally {
      await server.close();
      dead.disconnect();
    }
  });

  it('listens on 127.0.0.1 by default and answers over HTTP', async () => {
    const server = await startServing(env.config, { redis: env.redis, port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const response = await fetch(`${server.url}/v1/views/page_views_hourly?key=${encodeURIComponent('/')}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { view: string; total: { hits: number } };
      expect(body.view).toBe('page_views_hourly');
      expect(body.total.hits).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});
