/** Test helpers for Kafka: fresh LogAppendTime topics and keyed produce, against the local stack's broker. */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

export const TEST_BROKERS = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092')
  .split(',')
  .map((b) => b.trim());

export const testKafka = new Kafka({
  clientId: 'oxbow-connectors-test',
  brokers: TEST_BROKERS,
  logLevel: logLevel.NOTHING,
  retry: { retries: 8, initialRetryTime: 200 },
});

/** Creates a topic named after `prefix` with a random suffix; returns its name. */
export async function createTestTopic(prefix: string, partitions = 3): Promise<string> {
  const topic = `${prefix}-${randomUUID().slice(0, 8)}`;
  const admin = testKafka.admin();
  await admin.connect();
  try {
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
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** Produces `[key, value]` messages in order, in chunks. */
export async function produceMessages(
  topic: string,
  messages: ReadonlyArray<[string, string]>,
  chunk = 500,
): Promise<void> {
  const producer = testKafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += chunk) {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.slice(i, i + chunk).map(([key, value]) => ({ key, value })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
