/** Kafka helpers for the archiver's integration tests: fresh LogAppendTime topics and a fast producer. */
import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel, type Message } from 'kafkajs';

/** The stack's brokers (or OXBOW_KAFKA_BROKERS). */
export const TEST_BROKERS = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092')
  .split(',')
  .map((b) => b.trim());

/** A kafkajs client for tests. */
export const testKafka = new Kafka({
  clientId: 'oxbow-archiver-test',
  brokers: TEST_BROKERS,
  logLevel: logLevel.NOTHING,
  retry: { retries: 8, initialRetryTime: 200 },
});

/** Creates a LogAppendTime topic `oxbow-test-archiver-<label>-<random>`; returns its name. */
export async function createTestTopic(admin: Admin, label: string, partitions = 3): Promise<string> {
  const topic = `oxbow-test-archiver-${label}-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      },
    ],
  });
  return topic;
}

/**
 * Sends `messages` to `topic` in order, `chunk` per request (acks from all replicas, one request in flight, so each
 * partition keeps the order of the list).
 */
export async function produce(topic: string, messages: readonly Message[], chunk = 2000): Promise<void> {
  const producer = testKafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += chunk) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** High watermark per partition. */
export async function highWatermarks(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}
