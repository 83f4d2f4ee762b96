/**
 * A fuzz run over every route of the serving API: 10,000 seeded random requests (fast-check) through fastify's
 * inject — random methods, the documented paths with random and hostile parameters, hostile query strings,
 * headers (keys, bearer tokens, ETags, content types) and bodies — on a server with data (a batch version, realtime
 * increments, live views) and keys configured, and on one without keys. Every answer is below 500, in the API's
 * error shape when it is an error, and says `nosniff`; the process does not crash; the heap after the run is
 * reported against the one before (and must not have grown by more than a loose bound).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type ServingServer } from '../src/index.ts';
import {
  exampleProject,
  foldStates,
  httpEvents,
  writeBatchVersion,
  writeRealtime,
  writeSpeedStatus,
} from './support/fixtures.ts';
import { generatedAdminKey, type TestEnvironment, testEnvironment } from './support/harness.ts';

const RUNS = 10_000;
const SEED = 20261201;
const READ_KEY = 'fuzz-reader-0001';
const ADMIN_KEY = 'fuzz-admin-00001';
const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Values that broke or could break parsers, validators and serializers. */
const HOSTILE = [
  '',
  ' ',
  '0',
  '-1',
  '1.5',
  '1e400',
  '-1e400',
  'Infinity',
  '-Infinity',
  'NaN',
  '9007199254740993',
  '0x10',
  'true',
  'null',
  'undefined',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'toString',
  '../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '\u0000',
  '\u202e',
  '😀',
  '\ud800',
  "'; DROP TABLE x; --",
  '<script>alert(1)</script>',
  '2026-02-30',
  '2026-11-24T13:00:00',
  '2026-11-24T24:00:00Z',
  '0000-01-01',
  '9999-12-31T23:59:59Z',
  '2026-11-24T10:00:00+99:99',
  '1970-01-01T00:00:00Z',
  '2100-01-01T00:00:00Z',
  'hits',
  'latencyMs.p99',
  'latencyMs.p100',
  'uniqueUsers',
  '/',
  '/checkout',
  'a'.repeat(2049),
  'x'.repeat(5000),
];

/** A decoded value for a query parameter or path segment. */
const value = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()) },
);

/** Path segments and raw fragments inserted as they are (not encoded). */
const RAW_SEGMENTS = ['%', '%zz', '%E0%A4%A', '..', '.', '', '//', '%2F', '%00', ';', '*', 'a'.repeat(120)];

/** Percent-encodes `text`; a lone surrogate (which `encodeURIComponent` refuses) as its WTF-8 bytes. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

const QUERY_NAMES = [
  'key',
  'from',
  'to',
  'by',
  'limit',
  'raw',
  'view',
  'id',
  'x',
  '__proto__',
  'constructor',
];

interface FuzzRequest {
  server: number;
  method: (typeof METHODS)[number];
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/** Strings that make valid header values (visible ASCII and spaces). */
const headerText = fc.string({
  unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@AZaz[]^_`{|}~'),
  maxLength: 60,
});

describe('fuzz: random requests over every route', () => {
  let env: TestEnvironment;
  let servers: ServingServer[] = [];
  let templates: string[] = [];
  let generatedKey = '';

  beforeAll(async () => {
    env = await testEnvironment('fuzz');
    const pageViews = exampleProject.view('page_views_hourly');
    const events = httpEvents(300, 17);
    await writeBatchVersion({
      lakeDir: env.lakeDir,
      runId: '20261124T120000000Z-fuzzfuzz',
      watermarkEpoch: 5,
      epochMs: 3_600_000,
      // Every view has a table (so none is rebuilding); the sensor views' are empty.
      views: exampleProject.views.map((view) => ({
        view,
        states: view.topic === 'http_logs' ? foldStates(view, events.slice(0, 200)) : new Map(),
      })),
    });
    await writeRealtime(env.redis, env.prefix, pageViews, 6, 0, foldStates(pageViews, events.slice(200)));
    await writeSpeedStatus(env.redis, env.prefix, {
      fields: { lagMs: '100', realtimeThrough: String(Date.parse('2026-11-24T12:30:00Z')) },
    });
    await env.redis.set(`${env.prefix}live:live_requests_5m`, JSON.stringify({ requests: 3 }));
    await env.redis.set(`${env.prefix}live:active_sessions`, JSON.stringify({ top: [{ userId: 'u1' }] }));
    const deps = {
      redis: env.redis,
      project: exampleProject,
      answerCacheBytes: 8 * 1024 * 1024,
      onAdminKeyCreated: () => {},
      triggerBatchRun: async () => ({ status: 'published', runId: 'fuzz' }),
    };
    servers = [
      await buildServer(env.with({ apiRateLimit: 1_000_000_000 }), deps),
      await buildServer(
        env.with({ apiKeys: `${READ_KEY}:read,${ADMIN_KEY}:admin`, apiRateLimit: 1_000_000_000 }),
        deps,
      ),
    ];
    generatedKey = generatedAdminKey(env.config.stateDir);
    // Every documented path (its parameters filled in per request), the generic ones and a few that do not exist.
    const document = (await servers[0]?.app.inject('/docs/json'))?.json() as {
      paths: Record<string, unknown>;
    };
    templates = [
      ...Object.keys(document.paths),
      '/v1/views/{view}',
      '/v1/views/{view}/top',
      '/v1/live/{view}',
      '/v1/batch/runs/{id}',
      '/docs',
      '/docs/static/{file}',
      '/',
      '/v1',
      '/v2/{x}',
      '/{x}',
    ];
  });

  afterAll(async () => {
    for (const server of servers) await server.close();
    await env?.cleanup();
  });

  it(`answers ${RUNS} random requests below 500, in the error shape, without crashing`, async () => {
    expect(templates.length).toBeGreaterThan(15);
    const viewNames = [
      ...exampleProject.views.map((view) => view.name),
      ...exampleProject.liveViews.map((live) => live.name),
    ];
    const segment = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...viewNames) },
      { weight: 2, arbitrary: value.map(encode) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
    );
    const query = fc.array(fc.tuple(fc.constantFrom(...QUERY_NAMES), value, fc.boolean()), { maxLength: 6 });
    const keyHeader = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(READ_KEY, ADMIN_KEY, 'generated', 'short', ''),
      headerText,
    );
    const request: fc.Arbitrary<FuzzRequest> = fc
      .record({
        server: fc.integer({ min: 0, max: 1 }),
        method: fc.constantFrom(...METHODS),
        template: fc.constantFrom(...templates),
        segments: fc.array(segment, { minLength: 3, maxLength: 3 }),
        query,
        trailingSlash: fc.boolean(),
        key: keyHeader,
        bearer: fc.boolean(),
        ifNoneMatch: fc.option(fc.oneof(headerText, fc.constant('*'), fc.constant('W/"x"'))),
        contentType: fc.option(
          fc.constantFrom(
            'application/json',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data',
            'x/y',
          ),
        ),
        body: fc.option(
          fc.oneof(
            fc.json({ maxDepth: 3 }),
            fc.string({ maxLength: 200 }),
            fc.constantFrom(
              '{"sql":"SELECT 1"}',
              '{"sql":"SELECT * FROM page_views_hourly LIMIT 1"}',
              '{"sql":1e400}',
              '{',
              'x'.repeat(20_000),
            ),
          ),
        ),
      })
      .map((r) => {
        let i = 0;
        const path = r.template.replace(/\{[^}]+\}/g, () => r.segments[i++ % 3] ?? 'x');
        const search = r.query
          .map(([name, text, raw]) => `${name}=${raw ? text.replace(/[\s#&]/g, '') : encode(text)}`)
          .join('&');
        const headers: Record<string, string> = {};
        if (r.key !== undefined) {
          const key = r.key === 'generated' ? generatedKey : r.key;
          if (r.bearer) headers.authorization = `Bearer ${key}`;
          else headers['x-api-key'] = key;
        }
        if (r.ifNoneMatch !== null) headers['if-none-match'] = r.ifNoneMatch;
        if (r.contentType !== null) headers['content-type'] = r.contentType;
        const withBody = r.body !== null && r.method !== 'GET' && r.method !== 'HEAD';
        return {
          server: r.server,
          method: r.method,
          url: `${path}${r.trailingSlash ? '/' : ''}${search === '' ? '' : `?${search}`}`,
          headers,
          ...(withBody ? { payload: r.body ?? '' } : {}),
        };
      });

    const gc = (() => {
      setFlagsFromString('--expose-gc');
      return runInNewContext('gc') as () => void;
    })();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const server = servers[r.server];
        if (server === undefined) throw new Error('no server');
        let response: Awaited<ReturnType<ServingServer['app']['inject']>>;
        try {
          response = await server.app.inject({
            method: r.method,
            url: r.url,
            headers: r.headers,
            ...(r.payload === undefined ? {} : { payload: r.payload }),
          });
        } catch (error) {
          // light-my-request refuses some URLs before they reach the server: not an answer of ours.
          if (error instanceof TypeError && /URL|header/i.test(error.message)) return;
          throw error;
        }
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        const where = `${r.method} ${r.url.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, where).toBeLessThan(500);
        expect(response.headers['x-content-type-options'], where).toBe('nosniff');
        if (response.statusCode >= 400 && r.method !== 'HEAD') {
          const body = response.json() as Record<string, unknown>;
          expect(body.statusCode, where).toBe(response.statusCode);
          expect(body.code, where).toMatch(/^OXBOW_/);
          expect(typeof body.message, where).toBe('string');
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
    console.info(
      `fuzz: ${RUNS} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}; heap ${mib(heapBefore)} MiB before, ${mib(heapAfter)} MiB after`,
    );
    // Loose: the answer cache (8 MiB here), rankings kept per range and the realtime mirror may stay.
    expect(heapAfter - heapBefore).toBeLessThan(96 * 1024 * 1024);
  }, 180_000);
});
