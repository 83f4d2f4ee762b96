/**
 * MQTT into Kafka against the stack's Mosquitto (`oxbow stack up --with mqtt`, port 21883 or OXBOW_MQTT_PORT;
 * skipped when no broker answers): QoS 1 messages routed by topic filter to project topics, JSON payloads as
 * records, refused payloads counted and not produced.
 */
import { randomUUID } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningIngest, startIngest } from '../src/index.ts';
import { ingestConfig, reading, type TestTopics, testTopics } from './support/harness.ts';
import { readTopic, valuesByKey } from './support/kafka.ts';

const MQTT_PORT = Number(process.env.OXBOW_MQTT_PORT ?? 21883);
const MQTT_URL = `mqtt://127.0.0.1:${MQTT_PORT}`;

function brokerAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(MQTT_PORT, '127.0.0.1');
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const available = await brokerAnswers();

describe.skipIf(!available)('MQTT', () => {
  let topics: TestTopics;
  let ingest: RunningIngest;
  const base = `oxbow-ingest-test/${randomUUID().slice(0, 8)}`;
  const clientId = `oxbow-ingest-test-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    topics = await testTopics('mqtt');
    ingest = await startIngest(
      await ingestConfig({
        ingestMqttUrl: MQTT_URL,
        ingestMqttTopics: `${base}/sensors/+:${topics.readings},${base}/clicks/#:${topics.clicks}`,
        ingestMqttClientId: clientId,
        ingestSourceBatchMs: 50,
      }),
      { project: topics.project, port: 0 },
    );
  });

  afterAll(async () => {
    await ingest?.close();
    // Forget the gateway's persistent session in the broker.
    const cleaner = await connectAsync(MQTT_URL, { clientId, clean: true }).catch(() => undefined);
    await cleaner?.endAsync();
    await topics?.cleanup();
  });

  it('routes QoS 1 messages by filter to project topics, keyed and in order per sensor', async () => {
    expect(ingest.sources.mqttConnected()).toBe(true);
    const publisher = await connectAsync(MQTT_URL, { clientId: `${clientId}-pub`, clean: true });
    const sent: Record<string, unknown>[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const sensor = `m-${i % 3}`;
        const record = reading(sensor, i);
        sent.push(record);
        await publisher.publishAsync(`${base}/sensors/${sensor}`, JSON.stringify(record), { qos: 1 });
      }
      await publisher.publishAsync(`${base}/clicks/web/home`, JSON.stringify({ at: Date.now(), page: '/' }), {
        qos: 1,
      });
      await publisher.publishAsync(`${base}/sensors/m-9`, 'not json', { qos: 1 });
      await publisher.publishAsync(`${base}/sensors/m-9`, JSON.stringify({ sensorId: 'm-9' }), { qos: 1 });
    } finally {
      await publisher.endAsync();
    }
    const accepted = (topic: string) =>
      ingest.metrics.value('oxbow_ingest_records_accepted_total', { source: 'mqtt', topic });
    await expect.poll(() => accepted(topics.readings), { timeout: 15_000 }).toBe(30);
    await expect.poll(() => accepted(topics.clicks), { timeout: 15_000 }).toBe(1);
    expect(
      ingest.metrics.value('oxbow_ingest_records_rejected_total', { source: 'mqtt', topic: topics.readings }),
    ).toBe(2);

    const byKey = valuesByKey(await readTopic(topics.readings));
    for (const sensor of ['m-0', 'm-1', 'm-2']) {
      expect(byKey.get(sensor)).toEqual(
        sent.filter((record) => record.sensorId === sensor).map((record) => JSON.stringify(record)),
      );
    }
    expect(byKey.has('m-9')).toBe(false);
    expect(await readTopic(topics.clicks)).toHaveLength(1);
  });
});
