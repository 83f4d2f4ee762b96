/**
 * The MQTT source against Mosquitto from the Debian package: QoS 1 delivery from the stack's broker
 * (`oxbow stack up --with mqtt`); clear errors for a bad host, a closed port and refused credentials; and no
 * message lost across a restart of the broker — messages published while the receiver is disconnected are
 * delivered after it reconnects, thanks to the persistent session.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataflowContext, ManualClock, StreamingContext } from '@oxbow/dataflow';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mqttStream, SourceError } from '../src/index.ts';
import { ensureStackMqtt, type PrivateMosquitto, startPrivateMosquitto } from './support/mosquitto.ts';
import { waitUntil } from './support/wait-for.ts';

const runId = randomBytes(3).toString('hex');
const contexts: StreamingContext[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
});

async function publish(
  url: string,
  topic: string,
  payloads: readonly string[],
  auth: { username?: string; password?: string } = {},
) {
  const client: MqttClient = await connectAsync(url, {
    reconnectPeriod: 0,
    clientId: `oxbow-test-pub-${randomBytes(4).toString('hex')}`,
    ...auth,
  });
  try {
    for (const payload of payloads) await client.publishAsync(topic, payload, { qos: 1 });
  } finally {
    await client.endAsync();
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe('mqttStream on the stack broker', () => {
  let url: string;
  beforeAll(async () => {
    url = await ensureStackMqtt();
  });

  it('delivers every QoS 1 message of the subscribed topics, with metrics', async () => {
    const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 50);
    contexts.push(ssc);
    const topic = `oxbow-test/${runId}/sensors`;
    const stream = mqttStream(ssc, {
      url,
      topics: [`${topic}/+`],
      clientId: `oxbow-test-${runId}-a`,
      decode: (m) => ({
        sensor: m.topic.split('/').at(-1),
        value: Number(Buffer.from(m.payload).toString()),
      }),
    });
    const seen: Array<{ sensor: string | undefined; value: number }> = [];
    stream.foreachRDD(async (rdd) => {
      seen.push(...(await rdd.collect()));
    });
    await ssc.start();
    expect(stream.metrics().connected).toBe(true);
    await publish(url, `${topic}/s1`, range(0, 300).map(String));
    await publish(url, `${topic}/s2`, range(300, 500).map(String));
    await publish(`${url}`, `oxbow-test/${runId}/other`, ['not subscribed']);
    await waitUntil(() => seen.length >= 500, 15_000, '500 messages');
    expect(seen.map((r) => r.value).sort((a, b) => a - b)).toEqual(range(0, 500));
    expect(seen.filter((r) => r.sensor === 's2')).toHaveLength(200);
    expect(stream.metrics()).toMatchObject({ records: 500, errors: 0, reconnects: 0, connected: true });
  });

  it('fails start() clearly for a host that does not resolve and for a port where nothing listens', async () => {
    const badHost = new StreamingContext(new DataflowContext({ parallelism: 1 }), 50);
    contexts.push(badHost);
    mqttStream(badHost, { url: 'mqtt://no-such-host.invalid:1883', topics: 't', clientId: 'x' }).print();
    const hostError = await badHost.start().catch((e: unknown) => e);
    expect(SourceError.is(hostError, 'OXBOW_SOURCE_BAD_ADDRESS')).toBe(true);
    expect((hostError as Error).message).toMatch(/no-such-host\.invalid.*ENOTFOUND/);

    const closed = new StreamingContext(new DataflowContext({ parallelism: 1 }), 50);
    contexts.push(closed);
    mqttStream(closed, {
      url: 'mqtt://127.0.0.1:1',
      topics: 't',
      clientId: 'x',
      startTimeoutMs: 1000,
      backoff: { initialMs: 100 },
    }).print();
    const closedError = await closed.start().catch((e: unknown) => e);
    expect(SourceError.is(closedError, 'OXBOW_SOURCE_UNAVAILABLE')).toBe(true);
    expect((closedError as Error).message).toMatch(/127\.0\.0\.1:1.*ECONNREFUSED.*gave up after 1 s/);

    expect(() => mqttStream(closed, { url, topics: [], clientId: 'x' })).toThrow(/at least one/);
  });
});

describe('mqttStream on a broker of its own', () => {
  let dir: string;
  let broker: PrivateMosquitto;
  const auth = { username: 'oxbow', password: 'right-password' };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oxbow-mosquitto-'));
    broker = await startPrivateMosquitto(dir, { [auth.username]: auth.password });
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails start() with OXBOW_SOURCE_AUTH when the broker refuses the credentials', async () => {
    const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 50);
    contexts.push(ssc);
    mqttStream(ssc, {
      url: broker.url,
      topics: 't',
      clientId: 'x',
      username: 'oxbow',
      password: 'wrong',
    }).print();
    const error = await ssc.start().catch((e: unknown) => e);
    expect(SourceError.is(error, 'OXBOW_SOURCE_AUTH')).toBe(true);
    expect((error as Error).message).toMatch(/refused the connection \(not authorised, code 5\)/);
  });

  it('loses no message across a broker restart: what is published while it is away arrives after the reconnect', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 1000, { clock });
    contexts.push(ssc);
    const topic = `oxbow-test/${runId}/persistent`;
    const stream = mqttStream(ssc, {
      url: broker.url,
      topics: topic,
      clientId: `oxbow-test-${runId}-persistent`,
      ...auth,
      // Restarts wait on the context's (manual) clock: the receiver stays away until the test moves it.
      backoff: { initialMs: 5000, jitter: 0 },
      decode: (m) => Number(Buffer.from(m.payload).toString()),
    });
    const seen: number[] = [];
    stream.foreachRDD(async (rdd) => {
      seen.push(...(await rdd.collect()));
    });
    await ssc.start();

    await publish(broker.url, topic, range(0, 200).map(String), auth);
    await waitUntil(() => stream.metrics().records >= 200, 10_000, 'the first 200 messages');

    await broker.stop();
    await waitUntil(() => !stream.metrics().connected, 5000, 'the receiver to notice');
    await broker.start();
    // The receiver is still away (its restart waits 5 s on the manual clock): the broker queues these for its
    // persistent session.
    await publish(broker.url, topic, range(200, 400).map(String), auth);
    expect(stream.metrics().records).toBe(200);

    clock.advance(5000);
    await waitUntil(() => stream.metrics().records >= 400, 10_000, 'the queued messages after the reconnect');
    clock.advance(1000);
    await ssc.awaitBatchCompletion(6000);

    expect([...new Set(seen)].sort((a, b) => a - b)).toEqual(range(0, 400));
    expect(stream.metrics()).toMatchObject({ reconnects: 1, connected: true });
    expect(stream.metrics().errors).toBeGreaterThanOrEqual(1);
  });
});
