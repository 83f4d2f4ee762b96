/**
 * The archiver benchmark's producer, run as its own process: creates a LogAppendTime topic and fills it with
 * generated HTTP access logs of the web-analytics example (the real `http_logs` schema), round-robin over the
 * partitions, then prints one JSON line `{ events, bytes, seconds }`.
 *
 * `node tools/bench/src/archiver/produce-backlog.ts <topic> <events> <partitions>`
 */
import { generateHttpLogs } from '@oxbow/example-web-analytics';
import { Kafka, logLevel, type Message } from 'kafkajs';

const [topic, eventsArg, partitionsArg] = process.argv.slice(2);
if (!topic || !eventsArg) throw new Error('usage: produce-backlog.ts <topic> <events> [partitions]');
const events = Number(eventsArg);
const partitions = Number(partitionsArg ?? 3);
const brokers = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',');
const kafka = new Kafka({ clientId: 'oxbow-bench-producer', brokers, logLevel: logLevel.NOTHING });

const admin = kafka.admin();
await admin.connect();
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
await admin.disconnect();

const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const began = performance.now();
let bytes = 0;
let chunk: Message[] = [];
let index = 0;
// Event times of the last hour, at the example's demo rate: realistic field values and cardinalities.
for (const event of generateHttpLogs({
  count: events,
  seed: 4242,
  startMs: Date.now() - 3_600_000,
  ratePerSec: 2000,
})) {
  const value = JSON.stringify(event);
  bytes += value.length;
  chunk.push({ partition: index++ % partitions, value });
  if (chunk.length === 5000) {
    await producer.send({ topic, messages: chunk, acks: -1 });
    chunk = [];
  }
}
if (chunk.length > 0) await producer.send({ topic, messages: chunk, acks: -1 });
await producer.disconnect();
console.log(JSON.stringify({ events, bytes, seconds: (performance.now() - began) / 1000 }));
