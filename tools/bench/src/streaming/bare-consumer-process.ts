/**
 * The ceiling of the streaming benchmark, run as its own process: a bare consumer of the Kafka client Oxbow ships
 * (kafkajs) that reads a topic from the earliest offset and only `JSON.parse`s every value.
 *
 * `node bare-consumer-process.ts <topic> <count>` prints one JSON line `{ records, seconds, cpuSeconds, rssBytes }`
 * once `count` records were parsed: `seconds` from the first record to the last, `cpuSeconds` the process's user +
 * system CPU over the same time (from /proc), `rssBytes` the largest resident set seen.
 */
import { Kafka, logLevel } from 'kafkajs';
import { cpuSecondsOfProcess, rssBytesOfProcess } from './proc.ts';

const BROKERS = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',');
const [topic, countText] = process.argv.slice(2);
if (topic === undefined || countText === undefined) {
  console.error('usage: bare-consumer-process.ts <topic> <count>');
  process.exit(2);
}
const count = Number(countText);
const kafka = new Kafka({ clientId: 'oxbow-bench-bare', brokers: BROKERS, logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: `${topic}-bare-${process.pid}` });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
let seen = 0;
let checksum = 0;
let firstAt = 0;
let cpuAtFirst = 0;
let maxRss = 0;
const done = new Promise<void>((resolve) => {
  void consumer.run({
    eachBatch: async ({ batch }) => {
      if (firstAt === 0) {
        firstAt = performance.now();
        cpuAtFirst = cpuSecondsOfProcess();
      }
      for (const message of batch.messages) {
        const event = JSON.parse(message.value?.toString('utf8') ?? '{}') as { bytes?: number };
        checksum += event.bytes ?? 0;
      }
      seen += batch.messages.length;
      maxRss = Math.max(maxRss, rssBytesOfProcess());
      if (seen >= count) resolve();
    },
  });
});
await done;
const seconds = (performance.now() - firstAt) / 1000;
const cpuSeconds = cpuSecondsOfProcess() - cpuAtFirst;
await consumer.disconnect();
if (checksum < 0) throw new Error('unreachable');
console.log(JSON.stringify({ records: seen, seconds, cpuSeconds, rssBytes: maxRss }));
