/**
 * `npm run bench -- streaming`: events/s through Kafka → parse JSON → reduceByKeyAndWindow (with inverse) →
 * output, at 1 s batches, beside a bare kafkajs consumer reading (and parsing) the same topic: the ceiling.
 * Needs the local stack (`npm run stack -- up`).
 */
import { randomUUID } from 'node:crypto';
import { createDirectStream } from '@oxbow/connectors';
import { DataflowContext, StreamingContext } from '@oxbow/dataflow';
import { Kafka, logLevel } from 'kafkajs';
import { type BenchRow, machineLine, markdownTable } from '../report.ts';

const BROKERS = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',');
const EVENTS = 300_000;
const PATHS = 1000;

interface Event {
  path: string;
  status: number;
  bytes: number;
}

async function prepareTopic(kafka: Kafka, events: number): Promise<string> {
  const topic = `bench-streaming-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 3,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      },
    ],
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const chunk = 5000;
  for (let i = 0; i < events; i += chunk) {
    const messages = Array.from({ length: Math.min(chunk, events - i) }, (_, j) => {
      const n = i + j;
      const event: Event = {
        path: `/p/${(n * 7919) % PATHS}`,
        status: n % 40 === 0 ? 503 : 200,
        bytes: n % 5000,
      };
      return { key: event.path, value: JSON.stringify(event) };
    });
    await producer.send({ topic, messages, acks: 1 });
  }
  await producer.disconnect();
  return topic;
}

async function bareConsumer(kafka: Kafka, topic: string, events: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `${topic}-bare`, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let bytes = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const event = JSON.parse(message.value?.toString('utf8') ?? '{}') as Event;
          bytes += event.bytes;
        }
        seen += batch.messages.length;
        if (seen >= events) resolve();
      },
    });
  });
  const seconds = (performance.now() - start) / 1000;
  await consumer.disconnect();
  if (bytes < 0) throw new Error('unreachable');
  return seconds;
}

async function oxbowStream(topic: string, events: number): Promise<number> {
  const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 1000);
  ssc.checkpoint(`memory://bench-${topic}`);
  const stream = createDirectStream(ssc, {
    brokers: BROKERS,
    topics: [topic],
    groupId: `${topic}-oxbow`,
    startingOffsets: 'earliest',
    deserialize: (bytes) => JSON.parse(bytes.toString('utf8')) as Event,
    maxBufferedPerPartition: 500_000,
    logLevel: 'nothing',
  });
  let seen = 0;
  let start = 0;
  const done = new Promise<void>((resolve) => {
    stream.foreachRDD(async (rdd) => {
      seen += await rdd.count();
      if (start === 0 && seen > 0) start = performance.now();
      if (seen >= events) resolve();
    });
  });
  let windows = 0;
  stream
    .map((record): [string, number] => [record.value.path, 1])
    .reduceByKeyAndWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      10_000,
      1_000,
      2,
      ([, n]) => n > 0,
    )
    .foreachRDD(async (rdd) => {
      windows += (await rdd.count()) > 0 ? 1 : 0;
    });
  const begin = performance.now();
  await ssc.start();
  await done;
  const seconds = (performance.now() - begin) / 1000;
  await ssc.stop();
  if (windows === 0) throw new Error('the windowed output never produced a result');
  return seconds;
}

/** Runs the suite and returns the Markdown section. */
export async function runStreamingSuite(options: { scale: number }): Promise<string> {
  const events = Math.round(EVENTS * options.scale);
  const kafka = new Kafka({ clientId: 'oxbow-bench', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const topic = await prepareTopic(kafka, events);
  const rows: BenchRow[] = [];
  rows.push({
    name: 'bare kafkajs consumer + JSON.parse (ceiling)',
    records: events,
    seconds: await bareConsumer(kafka, topic, events),
  });
  rows.push({
    name: 'Oxbow direct stream → parse → reduceByKeyAndWindow(inverse), 1 s batches',
    records: events,
    seconds: await oxbowStream(topic, events),
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  console.log(markdownTable(rows, rows[0]?.name));
  return [
    '## Streaming (`npm run bench -- streaming`)',
    '',
    `Machine: ${machineLine()}. ${events.toLocaleString('en-US')} JSON events already in a 3-partition topic of`,
    'the local stack (catch-up throughput: both readers start from the earliest offset). The Oxbow row includes',
    'batch scheduling: with 1 s batches the last partial second counts in full, so short runs understate it.',
    'Window: 10 s sliding every 1 s with the inverse function, 2 partitions. Single runs; expect ±15 %.',
    '',
    markdownTable(rows, rows[0]?.name),
  ].join('\n');
}
