/**
 * Acknowledgement and back-pressure against the stack's Kafka, through a proxy that can hold the gateway's traffic
 * to the broker: an answer only after Kafka acknowledged, 429 (with nothing lost) when the in-flight budget is
 * spent, 503 when Kafka fails or does not answer in time, a missing topic, and draining on close.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildIngestServer, createKafka, type IngestServer, startIngest } from '../src/index.ts';
import type { IngestConfig } from '../src/server.ts';
import { ingestConfig, ndjson, post, reading, type TestTopics, testTopics } from './support/harness.ts';
import {
  createTopics,
  deleteTopics,
  HoldingProxy,
  readTopic,
  TEST_BROKERS,
  topicExists,
} from './support/kafka.ts';

let proxy: HoldingProxy;
const servers: Array<{ close(): Promise<void> }> = [];
const cleanups: TestTopics[] = [];

beforeAll(async () => {
  proxy = await HoldingProxy.start();
});

afterEach(async () => {
  proxy.release();
  for (const server of servers.splice(0)) await server.close();
  for (const topics of cleanups.splice(0)) await topics.cleanup();
});

afterAll(async () => {
  await proxy?.close();
});

/** A gateway over fresh topics whose Kafka traffic goes through the proxy. */
async function gateway(
  name: string,
  overrides: Partial<IngestConfig> = {},
  options: { create?: boolean; retries?: number } = {},
): Promise<{ server: IngestServer; topics: TestTopics }> {
  const topics = await testTopics(name, options.create === undefined ? {} : { create: options.create });
  cleanups.push(topics);
  const server = await buildIngestServer(await ingestConfig(overrides), {
    project: topics.project,
    kafka: createKafka(TEST_BROKERS, () => {}, { socketFactory: proxy.socketFactory }),
    ...(options.retries === undefined
      ? {}
      : { producerRetry: { retries: options.retries, initialRetryTime: 100 } }),
  });
  servers.push(server);
  return { server, topics };
}

function send(server: IngestServer, topic: string, records: readonly unknown[]) {
  return server.app.inject({
    method: 'POST',
    url: `/v1/ingest/${topic}`,
    headers: { 'content-type': 'application/x-ndjson' },
    payload: ndjson(records),
  });
}

/** Resolves true if `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  return settled;
}

const batch = (sensor: string, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => reading(sensor, from + i));

describe('acknowledgement', () => {
  it('answers only after Kafka acknowledged the records', async () => {
    const { server, topics } = await gateway('ack');
    expect((await send(server, topics.readings, batch('warm', 0, 1))).statusCode).toBe(200);
    proxy.hold();
    const pending = send(server, topics.readings, batch('held', 0, 10));
    expect(await settlesWithin(pending, 1500)).toBe(false);
    expect(server.budget.inFlightRecords).toBe(10);
    proxy.release();
    const answer = await pending;
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ accepted: 10 });
    expect(server.budget.inFlightRecords).toBe(0);
    expect((await readTopic(topics.readings)).filter((record) => record.key === 'held')).toHaveLength(10);
  });

  it('answers 503 when Kafka does not acknowledge in time, and frees the budget once Kafka answers', async () => {
    const { server, topics } = await gateway('timeout', { ingestAckTimeoutMs: 500 });
    expect((await send(server, topics.readings, batch('warm', 0, 1))).statusCode).toBe(200);
    proxy.hold();
    const answer = await send(server, topics.readings, batch('late', 0, 5));
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.json()).toMatchObject({ code: 'OXBOW_INGEST_ACK_TIMEOUT' });
    expect(answer.json().message).toMatch(/may still be written/);
    expect(server.budget.inFlightRecords).toBe(5);
    proxy.release();
    await expect.poll(() => server.budget.inFlightRecords, { timeout: 10_000 }).toBe(0);
  });

  it('answers 503 for a project topic Kafka does not have, and produces nothing', async () => {
    const { server, topics } = await gateway('missing', {}, { create: false });
    const started = Date.now();
    const answer = await send(server, topics.readings, batch('lost', 0, 3));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.json()).toMatchObject({ code: 'OXBOW_INGEST_TOPIC_MISSING' });
    expect(answer.json().message).toMatch(/does not exist/);
    expect(server.budget.inFlightBytes).toBe(0);
    expect(await topicExists(topics.readings)).toBe(false);
    // Once the topic exists it is written to, and holds nothing of the refused request.
    await createTopics([topics.readings]);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await send(server, topics.readings, batch('now', 0, 2))).statusCode).toBe(200);
    expect((await readTopic(topics.readings)).map((record) => record.key)).toEqual(['now', 'now']);
  });

  it('answers 503 when Kafka fails the write (the topic was deleted), acknowledging nothing', async () => {
    const { server, topics } = await gateway('fails', {}, { retries: 1 });
    expect((await send(server, topics.readings, batch('warm', 0, 1))).statusCode).toBe(200);
    await deleteTopics([topics.readings]);
    await expect.poll(() => topicExists(topics.readings)).toBe(false);
    const answer = await send(server, topics.readings, batch('gone', 0, 4));
    expect(answer.statusCode).toBe(503);
    expect(answer.json().code).toMatch(/^OXBOW_INGEST_(TOPIC_MISSING|KAFKA_FAILED)$/);
    expect(server.budget.inFlightRecords).toBe(0);
    expect(await topicExists(topics.readings)).toBe(false);
  });
});

describe('back-pressure', () => {
  it('answers 429 with Retry-After beyond the in-flight records, and loses nothing', async () => {
    const { server, topics } = await gateway('busy', { ingestMaxInFlightRecords: 50 });
    expect((await send(server, topics.readings, batch('warm', 0, 1))).statusCode).toBe(200);
    proxy.hold();
    const a = send(server, topics.readings, batch('a', 0, 40));
    await expect.poll(() => server.budget.inFlightRecords).toBe(40);
    const b = await send(server, topics.readings, batch('b', 0, 20));
    expect(b.statusCode).toBe(429);
    expect(b.headers['retry-after']).toBe('1');
    expect(b.json()).toMatchObject({ code: 'OXBOW_INGEST_BUSY' });
    const c = send(server, topics.readings, batch('c', 0, 10));
    await expect.poll(() => server.budget.inFlightRecords).toBe(50);
    // More records than the gateway ever holds is not "busy" but too large.
    const huge = await send(server, topics.readings, batch('huge', 0, 51));
    expect(huge.statusCode).toBe(413);
    proxy.release();
    expect((await a).statusCode).toBe(200);
    expect((await c).statusCode).toBe(200);
    expect((await send(server, topics.readings, batch('b', 0, 20))).statusCode).toBe(200);
    const keys = (await readTopic(topics.readings)).map((record) => record.key);
    expect(keys.filter((key) => key === 'a')).toHaveLength(40);
    expect(keys.filter((key) => key === 'b')).toHaveLength(20);
    expect(keys.filter((key) => key === 'c')).toHaveLength(10);
    expect(keys).not.toContain('huge');
    const metrics = (await server.app.inject('/metrics')).body;
    expect(metrics).toContain(`oxbow_ingest_requests_total{topic="${topics.readings}",status="429"} 1`);
  });

  it('answers 429 before reading a body that would exceed the in-flight bytes', async () => {
    const { server, topics } = await gateway('bytes', { ingestMaxInFlightBytes: 8192 });
    expect((await send(server, topics.clicks, [{ at: Date.now(), page: '/' }])).statusCode).toBe(200);
    proxy.hold();
    const big = Array.from({ length: 40 }, (_, i) => ({ at: Date.now(), page: `/${'p'.repeat(100)}/${i}` }));
    const a = send(server, topics.clicks, big);
    await expect.poll(() => server.budget.inFlightRecords).toBe(40);
    const b = await send(server, topics.clicks, big.slice(0, 30));
    expect([b.statusCode, b.json().code]).toEqual([429, 'OXBOW_INGEST_BUSY']);
    proxy.release();
    expect((await a).statusCode).toBe(200);
    expect(await readTopic(topics.clicks)).toHaveLength(41);
  });

  it('under a burst of concurrent clients retrying on 429, every record arrives exactly once', async () => {
    const { server, topics } = await gateway('burst', { ingestMaxInFlightRecords: 50 });
    let throttled = 0;
    const client = async (id: number) => {
      const records = batch(`c${id}`, 0, 10).map((record, i) => ({ ...record, note: `${id}-${i}` }));
      for (;;) {
        const answer = await send(server, topics.readings, records);
        if (answer.statusCode === 200) return;
        expect(answer.statusCode).toBe(429);
        throttled += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await Promise.all(Array.from({ length: 40 }, (_, id) => client(id)));
    expect(throttled).toBeGreaterThan(0);
    const notes = (await readTopic(topics.readings)).map((record) => JSON.parse(record.value).note as string);
    expect(notes).toHaveLength(400);
    expect(new Set(notes).size).toBe(400);
    expect(server.budget.inFlightRecords).toBe(0);
  });
});

describe('shutdown', () => {
  it('drains requests in flight into Kafka on close and takes no new ones', async () => {
    const topics = await testTopics('drain');
    cleanups.push(topics);
    const ingest = await startIngest(await ingestConfig(), {
      project: topics.project,
      port: 0,
      kafka: createKafka(TEST_BROKERS, () => {}, { socketFactory: proxy.socketFactory }),
    });
    const url = `${ingest.url}/v1/ingest/${topics.readings}`;
    const headers = { 'content-type': 'application/x-ndjson' };
    expect((await post(url, ndjson(batch('warm', 0, 1)), headers)).status).toBe(200);
    proxy.hold();
    const inFlight = post(url, ndjson(batch('drained', 0, 25)), headers);
    await expect.poll(() => ingest.budget.inFlightRecords).toBe(25);
    const closing = ingest.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = await post(url, ndjson(batch('late', 0, 1)), headers).catch((error: Error) => error);
    expect(late instanceof Error ? 'refused' : late.status).toMatch(/refused|503/);
    proxy.release();
    expect((await inFlight).status).toBe(200);
    const released = Date.now();
    await closing;
    // The answered connection is closed with its answer: close() does not wait for keep-alive timeouts.
    expect(Date.now() - released).toBeLessThan(2000);
    const keys = (await readTopic(topics.readings)).map((record) => record.key);
    expect(keys.filter((key) => key === 'drained')).toHaveLength(25);
    expect(keys).not.toContain('late');
  });
});
