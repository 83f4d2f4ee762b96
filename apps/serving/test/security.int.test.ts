/**
 * The security defaults: admin routes always need an admin key (generated, kept in the state directory, when none
 * is configured), a non-loopback listen without keys is refused, personal live views need an admin key, wrong
 * methods are 405 with `Allow`, `OPTIONS` is answered, framework and parser errors come in the API's error shape,
 * 5xx bodies and batch-run errors carry no dependency's text, every answer says `nosniff`, the connection cap
 * holds, and the JSON log has request ids and no keys.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type ServingServer, StartRefusedError, startServing } from '../src/index.ts';
import { exampleProject, foldStates, httpEvents, writeBatchVersion } from './support/fixtures.ts';
import { generatedAdminKey, type TestEnvironment, testEnvironment } from './support/harness.ts';

const pageViews = exampleProject.view('page_views_hourly');
const READ_KEY = 'reader-key-0001';

/** Sends raw bytes to `port` and resolves with everything the server answered before closing. */
async function rawExchange(port: number, request: string | Buffer): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.on('error', () => {});
  socket.write(request);
  await closed;
  return Buffer.concat(chunks).toString('latin1');
}

/** The JSON body of a raw HTTP answer. */
function bodyOf(answer: string): Record<string, unknown> {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

describe('security defaults', () => {
  let env: TestEnvironment;
  let open: ServingServer;
  const printed: string[] = [];
  let failRun: (error: Error) => void = () => {};

  beforeAll(async () => {
    env = await testEnvironment('security');
    await writeBatchVersion({
      lakeDir: env.lakeDir,
      runId: '20261124T120000000Z-dddddddd',
      watermarkEpoch: 5,
      epochMs: 3_600_000,
      views: [{ view: pageViews, states: foldStates(pageViews, httpEvents(40, 5)) }],
    });
    open = await buildServer(env.config, {
      redis: env.redis,
      project: exampleProject,
      onAdminKeyCreated: (key) => printed.push(key),
      triggerBatchRun: () =>
        new Promise((_resolve, reject) => {
          failRun = reject;
        }),
    });
  });

  afterAll(async () => {
    await open?.close();
    await env?.cleanup();
  });

  it('generates an admin key at the first start and needs it on admin routes; views stay open', async () => {
    expect(printed).toEqual([generatedAdminKey(env.config.stateDir)]);
    const adminKey = printed[0] ?? '';
    const anonymous = await open.app.inject({ method: 'POST', url: '/v1/batch/runs' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'OXBOW_UNAUTHORIZED' });
    const guessed = await open.app.inject({
      method: 'POST',
      url: '/v1/batch/runs',
      headers: { 'x-api-key': `${adminKey.slice(0, -1)}x` },
    });
    expect(guessed.statusCode).toBe(401);
    expect((await open.app.inject('/v1/batch/runs/nope')).statusCode).toBe(401);
    // Read-only routes need no key while none are configured (on loopback).
    expect((await open.app.inject('/v1/views')).statusCode).toBe(200);
    expect((await open.app.inject('/v1/views/page_views_hourly?key=/')).statusCode).toBe(200);

    // A second server on the same state directory uses the same key and prints nothing.
    const again = await buildServer(env.config, {
      redis: env.redis,
      project: exampleProject,
      onAdminKeyCreated: (key) => printed.push(key),
    });
    try {
      expect(printed).toHaveLength(1);
      const withKey = await again.app.inject({
        method: 'POST',
        url: '/v1/batch/runs',
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(withKey.statusCode).toBe(501); // authorised; this one has no batch runner
    } finally {
      await again.close();
    }
  });

  it('reports a failed batch run by code, its message only in the log', async () => {
    const adminKey = generatedAdminKey(env.config.stateDir);
    const started = await open.app.inject({
      method: 'POST',
      url: '/v1/batch/runs',
      headers: { 'x-api-key': adminKey },
    });
    expect(started.statusCode).toBe(202);
    const { id } = started.json();
    failRun(new Error('connect ECONNREFUSED 10.1.2.3:9000 (bucket secret-lake, key s3cr3t)'));
    const run = async () =>
      (await open.app.inject({ url: `/v1/batch/runs/${id}`, headers: { 'x-api-key': adminKey } })).json();
    await expect.poll(async () => (await run()).status).toBe('failed');
    const failed = await run();
    expect(failed.error).toMatch(/^batch run failed \(unexpected error; the message is in the server log\)$/);
    expect(JSON.stringify(failed)).not.toMatch(/ECONNREFUSED|10\.1\.2\.3|secret|s3cr3t/);
  });

  it('serves personal live views to admin keys only, keys configured or not', async () => {
    await env.redis.set(`${env.prefix}live:active_sessions`, JSON.stringify({ top: [{ userId: 'u-42' }] }));
    const url = '/v1/live/active_sessions';
    const anonymous = await open.app.inject(url);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).not.toContain('u-42');
    expect(anonymous.json().message).toMatch(
      /names individual users: it needs an API key with the admin scope/,
    );
    expect((await open.app.inject({ url, headers: { 'x-api-key': 'not-a-key-at-all' } })).statusCode).toBe(
      401,
    );
    const admin = await open.app.inject({
      url,
      headers: { 'x-api-key': generatedAdminKey(env.config.stateDir) },
    });
    expect(admin.statusCode).toBe(200);
    expect(admin.json().value.top[0].userId).toBe('u-42');

    const secured = await buildServer(env.with({ apiKeys: `${READ_KEY}:read` }), {
      redis: env.redis,
      project: exampleProject,
    });
    try {
      const read = await secured.app.inject({ url, headers: { 'x-api-key': READ_KEY } });
      expect(read.statusCode).toBe(403);
      expect(read.body).not.toContain('u-42');
      // Only read keys configured: the generated admin key still opens admin routes and personal views.
      const generated = await secured.app.inject({
        url,
        headers: { 'x-api-key': generatedAdminKey(env.config.stateDir) },
      });
      expect(generated.statusCode).toBe(200);
    } finally {
      await secured.close();
    }
  });

  it('answers a wrong method 405 with Allow, and OPTIONS 204 with Allow', async () => {
    const cases: Array<[string, string, string]> = [
      ['DELETE', '/v1/views', 'GET, HEAD, OPTIONS'],
      ['POST', '/v1/views/page_views_hourly?key=/', 'GET, HEAD, OPTIONS'],
      ['PUT', '/v1/views/anything/top', 'GET, HEAD, OPTIONS'],
      ['PATCH', '/v1/live/live_requests_5m', 'GET, HEAD, OPTIONS'],
      ['GET', '/v1/batch/runs', 'POST, OPTIONS'],
      ['DELETE', '/v1/batch/runs/some-id', 'GET, HEAD, OPTIONS'],
      ['POST', '/healthz', 'GET, HEAD, OPTIONS'],
    ];
    for (const [method, url, allow] of cases) {
      const response = await open.app.inject({ method: method as 'GET', url });
      expect(response.statusCode, `${method} ${url}`).toBe(405);
      expect(response.headers.allow, `${method} ${url}`).toBe(allow);
      expect(response.json()).toMatchObject({
        statusCode: 405,
        error: 'Method Not Allowed',
        code: 'OXBOW_METHOD_NOT_ALLOWED',
        message: expect.stringContaining(`${method} is not allowed on ${url.split('?')[0]}`),
      });
    }
    const options = await open.app.inject({ method: 'OPTIONS', url: '/v1/views/page_views_hourly' });
    expect(options.statusCode).toBe(204);
    expect(options.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect(options.body).toBe('');
    const unknown = await open.app.inject({ method: 'DELETE', url: '/v2/nothing' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('OXBOW_NOT_FOUND');
  });

  it('says nosniff on every answer', async () => {
    const answers = await Promise.all([
      open.app.inject('/v1/views/page_views_hourly?key=/'),
      open.app.inject('/v1/views/nope?key=x'),
      open.app.inject('/v1/views/page_views_hourly/top?by=hits&limit=Infinity'),
      open.app.inject({ method: 'POST', url: '/v1/batch/runs' }),
      open.app.inject({ method: 'DELETE', url: '/v1/views' }),
      open.app.inject('/healthz'),
      open.app.inject('/metrics'),
      open.app.inject(`/v1/live/${'x'.repeat(150)}`),
      open.app.inject('/v1/views/%zz'),
    ]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 404, 400, 401, 405, 200, 200, 414, 400]);
    for (const answer of answers) expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers framework and parser errors in the error shape, over HTTP', async () => {
    const server = await startServing(env.config, { redis: env.redis, project: exampleProject, port: 0 });
    try {
      const port = Number(new URL(server.url).port);
      const tooLongParameter = await fetch(`${server.url}/v1/batch/runs/${'a'.repeat(200)}`);
      expect(tooLongParameter.status).toBe(414);
      expect(await tooLongParameter.json()).toMatchObject({ statusCode: 414, code: 'OXBOW_URI_TOO_LONG' });
      const badEncoding = await fetch(`${server.url}/v1/views/%E0%A4%A`);
      expect(badEncoding.status).toBe(400);
      expect(await badEncoding.json()).toMatchObject({ code: 'OXBOW_BAD_REQUEST', error: 'Bad Request' });

      const rawSpace = await rawExchange(port, 'GET /v1/views/a b HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(rawSpace).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(rawSpace).toMatch(/x-content-type-options: nosniff/i);
      expect(bodyOf(rawSpace)).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'OXBOW_BAD_REQUEST',
        message: 'malformed HTTP request',
      });
      const hugeHead = await rawExchange(
        port,
        // Over the head limit of the example project (16 KiB + 9 × 4,096 for its longest key).
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(60_000)}\r\n\r\n`,
      );
      expect(hugeHead).toMatch(/^HTTP\/1\.1 431 /);
      expect(bodyOf(hugeHead)).toMatchObject({ statusCode: 431, code: 'OXBOW_HEADERS_TOO_LARGE' });
    } finally {
      await server.close();
    }
  });

  it('keeps Redis error text out of 503 bodies', async () => {
    // A live view key of the wrong type: Redis answers WRONGTYPE.
    await env.redis.hset(`${env.prefix}live:live_requests_5m`, 'a', '1');
    const response = await open.app.inject('/v1/live/live_requests_5m');
    expect(response.statusCode).toBe(503);
    const body = response.json();
    expect(body).toMatchObject({ statusCode: 503, code: 'OXBOW_UNAVAILABLE' });
    expect(body.message).toMatch(/request req-[\w-]+; details in the server log/);
    expect(response.body).not.toMatch(/WRONGTYPE|wrong kind|26379|127\.0\.0\.1/i);
    await env.redis.del(`${env.prefix}live:live_requests_5m`);
  });

  it('refuses to listen beyond loopback without keys, with a code', async () => {
    await expect(
      startServing(env.config, { redis: env.redis, project: exampleProject, port: 0, host: '0.0.0.0' }),
    ).rejects.toSatisfy(
      (error) =>
        StartRefusedError.is(error, 'OXBOW_INSECURE_LISTEN') &&
        /refusing to listen on 0\.0\.0\.0 without API keys/.test((error as Error).message),
    );
    const withKeys = await startServing(env.with({ apiKeys: `${READ_KEY}:read` }), {
      redis: env.redis,
      project: exampleProject,
      port: 0,
      host: '0.0.0.0',
    });
    await withKeys.close();
    const allowed = await startServing(env.with({ apiHost: '0.0.0.0', apiAllowOpen: 'yes' }), {
      redis: env.redis,
      project: exampleProject,
      port: 0,
    });
    await allowed.close();
  });

  it('closes connections beyond apiMaxConnections', async () => {
    const server = await startServing(env.with({ apiMaxConnections: 2 }), {
      redis: env.redis,
      project: exampleProject,
      port: 0,
    });
    const sockets: Socket[] = [];
    try {
      expect(server.app.server.maxConnections).toBe(2);
      const port = Number(new URL(server.url).port);
      for (let i = 0; i < 2; i++) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        sockets.push(socket);
        await once(socket, 'connect');
      }
      await expect
        .poll(() => new Promise((resolve) => server.app.server.getConnections((_e, n) => resolve(n))))
        .toBe(2);
      const third = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(third).toBe('');
      for (const socket of sockets.splice(0)) socket.destroy();
      await expect
        .poll(() => new Promise((resolve) => server.app.server.getConnections((_e, n) => resolve(n))))
        .toBe(0);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.close();
    }
  });

  it('logs JSON lines with request ids, never a key, and 500s that say so', async () => {
    const lines: string[] = [];
    const server = await buildServer(env.with({ apiKeys: `${READ_KEY}:read` }), {
      redis: env.redis,
      project: exampleProject,
      logger: { level: 'debug', stream: { write: (line) => lines.push(line) } },
      hooks: {
        afterBatchRead: async () => {
          throw new Error('DuckDB said: IO Error: /var/lib/oxbow/secret.duckdb');
        },
      },
    });
    try {
      const ok = await server.app.inject({ url: '/v1/views', headers: { 'x-api-key': READ_KEY } });
      expect(ok.statusCode).toBe(200);
      const failed = await server.app.inject({
        url: '/v1/views/page_views_hourly?key=/',
        headers: { authorization: `Bearer ${READ_KEY}` },
      });
      expect(failed.statusCode).toBe(500);
      expect(failed.json().message).toMatch(
        /^internal error \(request (req-[\w-]+); details in the server log\)$/,
      );
      expect(failed.body).not.toMatch(/DuckDB|secret/);
      const requestId = /request (req-[\w-]+)/.exec(failed.json().message)?.[1];
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(
        records.every((record) => typeof record.level === 'number' && typeof record.time === 'number'),
      ).toBe(true);
      expect(records.filter((record) => record.msg === 'request answered')).toHaveLength(2);
      const logged = records.find((record) => record.msg === 'request failed');
      expect(logged).toMatchObject({
        level: 50,
        reqId: requestId,
        err: { message: expect.stringMatching(/DuckDB said/) },
      });
      expect(lines.join('\n')).not.toContain(READ_KEY);
    } finally {
      await server.close();
    }
  });
});
