/**
 * The HTTP API against the stack's Kafka: JSON lines and arrays produced and read back exactly (keys, values,
 * order per key), refused records never produced, content types and limits, API keys, and /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIngestServer, createKafka, type IngestServer, startIngest } from '../src/index.ts';
import { ingestConfig, ndjson, post, reading, type TestTopics, testTopics } from './support/harness.ts';
import { readTopic, valuesByKey } from './support/kafka.ts';

const INGEST_KEY = 'loader-key-0001';
const READ_KEY = 'reader-key-0001';
const ADMIN_KEY = 'admin-key-00001';

describe('POST /v1/ingest/:topic', () => {
  let topics: TestTopics;
  let server: IngestServer;

  beforeAll(async () => {
    topics = await testTopics('http');
    server = await buildIngestServer(await ingestConfig({ ingestMaxBodyBytes: 64 * 1024 }), {
      project: topics.project,
    });
  });

  afterAll(async () => {
    await server?.close();
    await topics?.cleanup();
  });

  const ingest = (topic: string, payload: string, contentType = 'application/x-ndjson') =>
    server.app.inject({
      method: 'POST',
      url: `/v1/ingest/${topic}`,
      headers: { 'content-type': contentType },
      payload,
    });

  it('produces JSON lines and JSON arrays keyed by messageKey, read back exactly, in order per key', async () => {
    const sensors = ['s-1', 's-2', 's-3', 's-4', 's-5'];
    const first = Array.from({ length: 300 }, (_, n) => reading(sensors[n % 5] as string, n));
    const second = Array.from({ length: 200 }, (_, n) => reading(sensors[(n * 3) % 5] as string, 300 + n));
    const lines = first.map((record) => JSON.stringify(record));
    // CRLF line ends and blank lines are fine; the lines are produced as they were sent.
    const one = await ingest(topics.readings, `${lines.join('\r\n')}\r\n\r\n`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ topic: topics.readings, accepted: 300, rejected: 0, errors: [] });
    const two = await ingest(topics.readings, JSON.stringify(second), 'application/json; charset=utf-8');
    expect(two.json()).toMatchObject({ accepted: 200, rejected: 0 });
    const single = await ingest(topics.readings, JSON.stringify(reading('s-1', 999)), 'application/json');
    expect(single.json()).toMatchObject({ accepted: 1 });

    const records = await readTopic(topics.readings);
    expect(records).toHaveLength(501);
    const expected = new Map<string, string[]>();
    for (const [index, record] of [...first, ...second, reading('s-1', 999)].entries()) {
      const key = record.sensorId as string;
      const value = index < 300 ? (lines[index] as string) : JSON.stringify(record);
      expected.set(key, [...(expected.get(key) ?? []), value]);
    }
    const byKey = valuesByKey(records);
    expect([...byKey.keys()].sort()).toEqual(sensors);
    for (const sensor of sensors) {
      // The single object's `time` differs by call, so compare all but the last value of s-1 exactly.
      const got = byKey.get(sensor) ?? [];
      const want = expected.get(sensor) ?? [];
      expect(got.length).toBe(want.length);
      expect(got.slice(0, -1)).toEqual(want.slice(0, -1));
      expect(JSON.parse(got.at(-1) as string)).toMatchObject({ sensorId: sensor });
    }
    // One key, one partition.
    for (const sensor of sensors) {
      expect(new Set(records.filter((r) => r.key === sensor).map((r) => r.partition)).size).toBe(1);
    }
  });

  it('refuses invalid records with their index and reasons and never produces them', async () => {
    const body = [
      JSON.stringify({ at: new Date().toISOString(), page: '/a' }),
      JSON.stringify({ at: 'yesterday', page: '/b' }),
      'not json at all',
      JSON.stringify({ at: Date.now(), page: '' }),
      JSON.stringify({ at: Date.now(), page: '/c', referrer: 'kept as sent' }),
    ].join('\n');
    const answer = await ingest(topics.clicks, body);
    expect(answer.statusCode).toBe(200);
    const json = answer.json();
    expect(json).toMatchObject({ accepted: 2, rejected: 3 });
    expect(json.errors).toEqual([
      { index: 1, line: 2, reasons: [expect.stringMatching(/^at: /)] },
      { index: 2, line: 3, reasons: [expect.stringMatching(/^not JSON: /)] },
      { index: 3, line: 4, reasons: [expect.stringMatching(/^page: expected a string of 1–200 characters/)] },
    ]);
    const none = await ingest(topics.clicks, JSON.stringify([{ page: '/x' }, { at: 1 }]), 'application/json');
    expect(none.statusCode).toBe(422);
    expect(none.json()).toMatchObject({ accepted: 0, rejected: 2, errors: [{ index: 0 }, { index: 1 }] });

    const records = await readTopic(topics.clicks);
    // Unkeyed records spread over the partitions: no order between them.
    const pages = records.map((record) => JSON.parse(record.value));
    expect(pages.map((page) => page.page).sort()).toEqual(['/a', '/c']);
    expect(records.every((record) => record.key === null)).toBe(true);
    expect(pages.find((page) => page.page === '/c')?.referrer).toBe('kept as sent');
  });

  it('answers malformed requests with 400, 404, 413 and 415, producing nothing', async () => {
    const cases = [
      [await ingest(topics.clicks, '[{"at":', 'application/json'), 400, /the body is not JSON/],
      [
        await ingest(topics.clicks, '"a string"', 'application/json'),
        400,
        /an array of records or one record/,
      ],
      [await ingest(topics.clicks, '\n\n'), 400, /no records/],
      [await ingest('nope', '{}'), 404, /unknown topic "nope" \(topics: .*-readings, .*-clicks, .*-syslog\)/],
      [await ingest(topics.clicks, '{}', 'text/csv'), 415, /unsupported content type "text\/csv"/],
      [await ingest(topics.clicks, 'x'.repeat(70 * 1024)), 413, /at most 65536/],
    ] as const;
    for (const [answer, status, message] of cases) {
      expect(answer.statusCode, answer.body).toBe(status);
      expect(answer.json().message).toMatch(message);
    }
    const unknownRoute = await server.app.inject('/v1/nothing');
    expect(unknownRoute.statusCode).toBe(404);
    expect(server.budget.inFlightBytes).toBe(0);
  });

  it('counts what it did on /metrics and lists the topics with their JSON schemas', async () => {
    const metrics = (await server.app.inject('/metrics')).body;
    expect(metrics).toContain(
      `oxbow_ingest_records_accepted_total{source="http",topic="${topics.readings}"} 501`,
    );
    expect(metrics).toContain(
      `oxbow_ingest_records_rejected_total{source="http",topic="${topics.clicks}"} 5`,
    );
    expect(metrics).toContain(`oxbow_ingest_requests_total{topic="${topics.clicks}",status="422"} 1`);
    expect(metrics).toContain('oxbow_ingest_requests_total{topic="(unknown)",status="404"} 1');
    expect(metrics).toMatch(/oxbow_ingest_in_flight_records 0/);
    const listed = (await server.app.inject('/v1/topics')).json();
    expect(listed.topics[0]).toMatchObject({
      topic: topics.readings,
      messageKey: 'sensorId',
      eventTime: 'time',
    });
    expect(listed.topics[0].jsonSchema.properties.celsius).toMatchObject({ type: 'number' });
    expect((await server.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await server.app.inject('/readyz')).statusCode).toBe(200);
  });
});

describe('API keys', () => {
  let topics: TestTopics;
  let server: IngestServer;

  beforeAll(async () => {
    topics = await testTopics('keys');
    server = await buildIngestServer(
      await ingestConfig({ apiKeys: `${INGEST_KEY}:ingest,${READ_KEY}:read,${ADMIN_KEY}:admin` }),
      { project: topics.project },
    );
  });

  afterAll(async () => {
    await server?.close();
    await topics?.cleanup();
  });

  it('needs a key of scope ingest or admin to write; 401 and 403 produce nothing', async () => {
    const send = (headers: Record<string, string>, sensor: string) =>
      server.app.inject({
        method: 'POST',
        url: `/v1/ingest/${topics.readings}`,
        headers: { 'content-type': 'application/x-ndjson', ...headers },
        payload: ndjson([reading(sensor, 1)]),
      });
    const missing = await send({}, 'none');
    expect([missing.statusCode, missing.json().code]).toEqual([401, 'OXBOW_UNAUTHORIZED']);
    const unknown = await send({ 'x-api-key': 'not-a-key-at-all' }, 'unknown');
    expect([unknown.statusCode, unknown.json().message]).toEqual([401, 'unknown API key']);
    const reader = await send({ 'x-api-key': READ_KEY }, 'reader');
    expect([reader.statusCode, reader.json().code]).toEqual([403, 'OXBOW_FORBIDDEN']);
    expect(reader.json().message).toBe('this API key has the read scope; the route needs ingest');
    expect((await send({ 'x-api-key': INGEST_KEY }, 'loader')).statusCode).toBe(200);
    expect((await send({ authorization: `Bearer ${ADMIN_KEY}` }, 'admin')).statusCode).toBe(200);
    // An unknown topic is not told to a client without a key.
    const probe = await server.app.inject({ method: 'POST', url: '/v1/ingest/secret', payload: '{}' });
    expect(probe.statusCode).toBe(401);
    expect((await server.app.inject('/healthz')).statusCode).toBe(200);
    expect((await server.app.inject('/v1/topics')).statusCode).toBe(401);

    const records = await readTopic(topics.readings);
    expect(records.map((record) => record.key).sort()).toEqual(['admin', 'loader']);
  });
});

describe('rate limit', () => {
  it('answers 429 beyond OXBOW_INGEST_RATE_LIMIT requests a minute per key', async () => {
    const topics = await testTopics('rate');
    const server = await buildIngestServer(
      await ingestConfig({ ingestRateLimit: 2, apiKeys: `${INGEST_KEY}:ingest,${ADMIN_KEY}:admin` }),
      { project: topics.project },
    );
    try {
      const send = (key: string) =>
        server.app.inject({
          method: 'POST',
          url: `/v1/ingest/${topics.clicks}`,
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          payload: JSON.stringify({ at: Date.now(), page: '/' }),
        });
      expect((await send(INGEST_KEY)).statusCode).toBe(200);
      expect((await send(INGEST_KEY)).statusCode).toBe(200);
      const limited = await send(INGEST_KEY);
      expect([limited.statusCode, limited.json().code]).toEqual([429, 'OXBOW_RATE_LIMITED']);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await send(ADMIN_KEY)).statusCode).toBe(200);
      expect((await server.app.inject('/healthz')).statusCode).toBe(200);
      expect(await readTopic(topics.clicks)).toHaveLength(3);
    } finally {
      await server.close();
      await topics.cleanup();
    }
  });
});

describe('start-up', () => {
  it('fails with OXBOW_INGEST_KAFKA_FAILED when Kafka does not answer', async () => {
    const topics = await testTopics('nokafka', { create: false });
    const kafka = createKafka(['127.0.0.1:1'], () => {}, {
      retry: { retries: 1, initialRetryTime: 50 },
      connectionTimeout: 500,
    });
    await expect(
      buildIngestServer(await ingestConfig(), { project: topics.project, kafka }),
    ).rejects.toMatchObject({
      code: 'OXBOW_INGEST_KAFKA_FAILED',
      message: expect.stringMatching(/^cannot connect to Kafka: /),
    });
  });
});

describe('listening', () => {
  it('listens on 127.0.0.1 by default and answers over HTTP', async () => {
    const topics = await testTopics('listen');
    const ingest = await startIngest(await ingestConfig(), { project: topics.project, port: 0 });
    try {
      expect(ingest.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const answer = await post(
        `${ingest.url}/v1/ingest/${topics.clicks}`,
        ndjson([{ at: Date.now(), page: '/' }]),
        {
          'content-type': 'application/x-ndjson',
        },
      );
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ accepted: 1 });
    } finally {
      await ingest.close();
      await topics.cleanup();
    }
  });

  it('refuses a host other machines reach while no API keys are configured, and takes it with keys', async () => {
    const topics = await testTopics('open');
    try {
      const refused = startIngest(await ingestConfig(), {
        project: topics.project,
        port: 0,
        host: '0.0.0.0',
      });
      await expect(refused).rejects.toMatchObject({
        code: 'OXBOW_INSECURE_LISTEN',
        message: expect.stringMatching(/refusing to listen on 0\.0\.0\.0 without API keys/),
      });
      const keyed = await startIngest(
        await ingestConfig({ apiKeys: `${INGEST_KEY}:ingest,${ADMIN_KEY}:admin` }),
        {
          project: topics.project,
          port: 0,
          host: '0.0.0.0',
        },
      );
      await keyed.close();
    } finally {
      await topics.cleanup();
    }
  });
});
