/**
 * The HTTP surface: validation errors (400/404 with a message, never 500), API key scopes (and personal live
 * views), rate limiting, ETag/304 and Cache-Control, /metrics, /docs typed per view, /healthz, /readyz, the
 * admin batch-run routes, the key limits of a view's definition, and real listens on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type ServingServer, startServing } from '../src/index.ts';
import {
  exampleProject,
  foldStates,
  httpEvents,
  writeBatchVersion,
  writeRealtime,
  writeSpeedStatus,
} from './support/fixtures.ts';
import { generatedAdminKey, type TestEnvironment, testEnvironment } from './support/harness.ts';

const pageViews = exampleProject.view('page_views_hourly');
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
    await writeSpeedStatus(env.redis, env.prefix, {
      fields: { lagMs: '250', realtimeThrough: String(Date.parse('2026-11-24T12:30:00Z')) },
    });
    // This one loads the project the `project` setting names (the example); the others are handed it.
    open = await buildServer(env.with({ apiMaxRangeDays: 30 }), { redis: env.redis });
    secured = await buildServer(
      env.with({ apiKeys: `${READ_KEY}:read,${ADMIN_KEY}:admin,${LIMITED_KEY}:read`, apiRateLimit: 1000 }),
      {
        redis: env.redis,
        project: exampleProject,
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

  it.each<[string, string, number, RegExp]>([
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
    ...['Infinity', '-Infinity', '1e400', '-1e400', '0', '1.5', '1e3000', 'NaN'].map(
      (limit) =>
        [
          `limit=${limit}`,
          `/v1/views/page_views_hourly/top?by=hits&limit=${limit}`,
          400,
          /limit must be/,
        ] as [string, string, number, RegExp],
    ),
    [
      'impossible calendar date',
      '/v1/views/page_views_hourly?key=/&from=2026-02-30&to=2026-03-02',
      400,
      /from "2026-02-30" is not an ISO-8601 time: no such date/,
    ],
    [
      'time without a zone',
      '/v1/views/page_views_hourly?key=/&from=2026-11-24T10:00:00&to=2026-11-24T12:00:00Z',
      400,
      /from "2026-11-24T10:00:00" is not an ISO-8601 time with a zone: add Z or an offset/,
    ],
    [
      'one bound over the cap',
      '/v1/views/page_views_hourly/top?by=hits&from=2020-01-01T00:00:00Z',
      400,
      /range 2020-01-01T00:00:00Z \.\. now is longer than the maximum of 30 days/,
    ],
    [
      'to without from',
      '/v1/views/page_views_hourly?key=/&to=2026-11-24T00:00:00Z',
      400,
      /without from spans all earlier time/,
    ],
    ['unknown view in top', '/v1/views/nope/top?by=hits', 404, /unknown view "nope"/],
    [
      'key longer than the key field',
      `/v1/views/page_views_hourly?key=/${'a'.repeat(2048)}`,
      400,
      /^key must NOT have more than 2048 characters$/,
    ],
    [
      'key longer than a function key may be',
      `/v1/views/status_minutely?key=${'a'.repeat(4097)}`,
      400,
      /^key must NOT have more than 4096 characters$/,
    ],
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
    expect(etag).toMatch(/^W\/"[\w-]+"$/);
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
    // Without configured keys the admin routes take the generated admin key (see security.int.test.ts).
    const notConfigured = await open.app.inject({
      method: 'POST',
      url: '/v1/batch/runs',
      headers: { 'x-api-key': generatedAdminKey(env.config.stateDir) },
    });
    expect(notConfigured.statusCode).toBe(501);
  });

  it('rate-limits per API key', async () => {
    const limitedServer = await buildServer(
      env.with({ apiKeys: `${READ_KEY}:read,${LIMITED_KEY}:read`, apiRateLimit: 5 }),
      { redis: env.redis, project: exampleProject },
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
    const ui = await open.app.inject('/docs');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/^text\/html/);
    expect(ui.body).toContain('swagger-ui');
    const docs = await open.app.inject('/docs/json');
    const document = docs.json();
    expect(document.openapi).toBe('3.0.3');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/views',
        ...exampleProject.views.flatMap((view) => [`/v1/views/${view.name}`, `/v1/views/${view.name}/top`]),
        '/v1/live/{view}',
        '/v1/batch/runs',
        '/healthz',
        '/readyz',
        '/metrics',
      ]),
    );
    // The generic routes only answer unknown names; each view is documented by its own routes.
    expect(document.paths['/v1/views/{view}']).toBeUndefined();
    expect(
      document.paths['/v1/views/page_views_hourly'].get.parameters.map((p: { name: string }) => p.name),
    ).toEqual(expect.arrayContaining(['key', 'from', 'to']));
    // Every documented response of a query route is typed and described per status.
    const responses = document.paths['/v1/views/page_views_hourly'].get.responses;
    expect(Object.keys(responses).sort()).toEqual(['200', '304', '400', '401', '403', '404', '429', '503']);
    for (const [status, response] of Object.entries<{ description: string }>(responses)) {
      expect(response.description, status).not.toBe('Default Response');
    }
    expect(responses['429'].content['application/json'].schema.required).toEqual([
      'statusCode',
      'error',
      'message',
    ]);
  });

  it('documents each view with a typed value built from its fields, and its key limits', async () => {
    const document = (await open.app.inject('/docs/json')).json();
    const answerOf = (view: string) =>
      document.paths[`/v1/views/${view}`].get.responses['200'].content['application/json'].schema;
    const keyOf = (view: string) =>
      document.paths[`/v1/views/${view}`].get.parameters.find((p: { name: string }) => p.name === 'key')
        .schema;

    const pages = answerOf('page_views_hourly');
    for (const value of [pages.properties.total, pages.properties.buckets.items.properties.value]) {
      expect(value.type).toBe('object');
      expect(value.additionalProperties).toBe(false);
      expect(value.required).toEqual(['hits', 'errors', 'bytes', 'uniqueUsers', 'latencyMs']);
      expect(value.properties.hits).toMatchObject({ type: 'number', description: 'count: requests' });
      expect(value.properties.bytes.type).toBe('number');
      expect(value.properties.uniqueUsers.type).toBe('number');
      expect(value.properties.latencyMs).toMatchObject({ type: 'object', required: ['p50', 'p95', 'p99'] });
      expect(value.properties.latencyMs.properties.p99).toMatchObject({ type: 'number', nullable: true });
    }
    const sensors = answerOf('sensor_hourly').properties.total;
    expect(Object.keys(sensors.properties)).toEqual(['count', 'temperature', 'min', 'max']);
    expect(sensors.properties.count.type).toBe('number');
    for (const field of ['temperature', 'min', 'max']) {
      expect(sensors.properties[field]).toMatchObject({ type: 'number', nullable: true });
    }
    const top =
      document.paths['/v1/views/page_views_hourly/top'].get.responses['200'].content['application/json']
        .schema.properties.keys.items.properties.value;
    expect(top.properties.latencyMs.type).toBe('object');
    expect(document.paths['/v1/views/page_views_hourly'].get.responses['503']).toBeDefined();

    expect(keyOf('page_views_hourly')).toMatchObject({ minLength: 1, maxLength: 2048 });
    expect(keyOf('country_daily')).toMatchObject({ minLength: 1, maxLength: 2 });
    expect(keyOf('sensor_hourly')).toMatchObject({ minLength: 1, maxLength: 128 });
    expect(keyOf('status_minutely')).toMatchObject({ minLength: 0, maxLength: 4096 });
  });

  it('lists every view with its definition and status, and the live views', async () => {
    const response = await open.app.inject('/v1/views');
    expect(response.statusCode).toBe(200);
    const { views, liveViews } = response.json();
    expect(views.map((view: { name: string }) => view.name)).toEqual(
      exampleProject.views.map((view) => view.name),
    );
    const byName = new Map(views.map((view: { name: string }) => [view.name, view]));
    expect(byName.get('page_views_hourly')).toMatchObject({
      description: pageViews.description,
      topic: 'http_logs',
      bucketMs: 3_600_000,
      key: 'path',
      keyMaxLength: 2048,
      fingerprint: pageViews.fingerprint,
      status: 'ready',
      fields: [
        { name: 'hits', kind: 'count', description: 'requests' },
        { name: 'errors', kind: 'count', description: 'requests answered with a 5xx status' },
        { name: 'bytes', kind: 'sum', description: 'response bytes' },
        { name: 'uniqueUsers', kind: 'distinct', description: expect.stringMatching(/HyperLogLog/) },
        { name: 'latencyMs', kind: 'quantiles', description: expect.stringMatching(/p50/) },
      ],
      merge: { batchRunId: '20261124T120000000Z-cccccccc', batchWatermarkEpoch: 5 },
    });
    expect(byName.get('status_minutely')).toMatchObject({ key: 'function', keyMaxLength: 4096 });
    // The manifest holds no table of the other views (a batch run of page_views_hourly only): not ready.
    expect(byName.get('country_daily')).toMatchObject({
      status: 'rebuilding',
      rebuilding: expect.stringMatching(/has no table for it yet/),
    });
    expect(liveViews).toEqual([
      { name: 'live_requests_5m', description: expect.any(String), topic: 'http_logs', personal: false },
      { name: 'active_sessions', description: expect.any(String), topic: 'http_logs', personal: true },
      {
        name: 'sensor_anomalies',
        description: expect.any(String),
        topic: 'sensor_readings',
        personal: false,
      },
    ]);
  });

  it('serves a personal live view to admin keys only when keys are configured', async () => {
    await env.redis.set(
      `${env.prefix}live:active_sessions`,
      JSON.stringify({ active: 1, top: [{ userId: 'u1' }] }),
    );
    const url = '/v1/live/active_sessions';
    expect((await secured.app.inject(url)).statusCode).toBe(401);
    const read = await secured.app.inject({ url, headers: { 'x-api-key': READ_KEY } });
    expect(read.statusCode).toBe(403);
    expect(read.json()).toMatchObject({
      code: 'OXBOW_FORBIDDEN',
      message: 'live view active_sessions names individual users: it needs an API key with the admin scope',
    });
    const admin = await secured.app.inject({ url, headers: { 'x-api-key': ADMIN_KEY } });
    expect(admin.statusCode).toBe(200);
    expect(admin.json()).toEqual({ view: 'active_sessions', value: { active: 1, top: [{ userId: 'u1' }] } });
    expect(admin.headers['cache-control']).toBe('private, no-cache');
    // A live view that is not personal takes a read key; without keys configured, only personal ones need a key.
    const notPersonal = await secured.app.inject({
      url: '/v1/live/live_requests_5m',
      headers: { 'x-api-key': READ_KEY },
    });
    expect(notPersonal.statusCode).toBe(200);
    expect((await open.app.inject(url)).statusCode).toBe(401);
    expect((await open.app.inject('/v1/live/live_requests_5m')).statusCode).toBe(200);
    const generated = generatedAdminKey(env.config.stateDir);
    expect((await open.app.inject({ url, headers: { 'x-api-key': generated } })).statusCode).toBe(200);
  });

  it('answers a key as long as the pipeline accepts (2,048 characters) over HTTP', async () => {
    // A path of 2,048 characters, most of them three UTF-8 bytes: the request line is over Node's default 16 KiB.
    const longPath = `/${'€'.repeat(2047)}`;
    expect(longPath.length).toBe(2048);
    const [template] = httpEvents(1, 21);
    const parsed = exampleProject
      .schemaOf('http_logs')
      .parse(JSON.stringify({ ...template, ts: new Date(template?.ts ?? 0).toISOString(), path: longPath }), {
        now: Date.parse('2026-11-26T00:00:00Z'),
      });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    await writeRealtime(env.redis, env.prefix, pageViews, 8, 2, foldStates(pageViews, [parsed.event]));
    const server = await startServing(env.config, { redis: env.redis, project: exampleProject, port: 0 });
    try {
      const url = `${server.url}/v1/views/page_views_hourly?key=${encodeURIComponent(longPath)}`;
      expect(url.length).toBeGreaterThan(16 * 1024);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { key: string; total: { hits: number } };
      expect(body.key).toBe(longPath);
      expect(body.total.hits).toBe(1);
      const tooLong = await fetch(
        `${server.url}/v1/views/page_views_hourly?key=${encodeURIComponent(`${longPath}€`)}`,
      );
      expect(tooLong.status).toBe(400);
      expect(((await tooLong.json()) as { message: string }).message).toBe(
        'key must NOT have more than 2048 characters',
      );
    } finally {
      await server.close();
    }
  });

  it('is not ready when Redis does not answer', async () => {
    const { Redis } = await import('ioredis');
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    dead.on('error', () => {});
    const server = await buildServer(env.config, { redis: dead, project: exampleProject });
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
    const server = await startServing(env.config, { redis: env.redis, project: exampleProject, port: 0 });
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
