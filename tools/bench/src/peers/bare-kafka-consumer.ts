/**
 * The bare-consumer peer, run as its own process: a Kafka client that only `JSON.parse`s every value, the ceiling
 * for what a consumer app can reach on the same topic. Prints one JSON line: records, seconds from the group
 * assignment to the last record, and CPU and peak RSS from /proc.
 *
 * `node tools/bench/src/peers/bare-kafka-consumer.ts <kafkajs|platformatic> <topic> <events> [maxBytesPerPartition]`;
 * `platformatic` needs `OXBOW_BENCH_PLATFORMATIC_KAFKA` naming an installed `@platformatic/kafka/dist/index.js`
 * (it is not a dependency of the project; decision 0007 has the comparison).
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { procSample } from '../archiver/proc-stats.ts';

/** What the peer prints when it has read every event. */
export interface BareConsumerResult {
  readonly client: string;
  readonly records: number;
  /** From the first assignment (the group joined) to the last record parsed. */
  readonly seconds: number;
  /** CPU time (user + system) over the same span, from /proc/self/stat. */
  readonly cpuMs: number;
  /** Peak RSS of the process (VmHWM). */
  readonly peakRssBytes: number;
}

/** The part of @platformatic/kafka's consumer this peer uses. */
type PlatformaticConsumerClass = new (options: {
  groupId: string;
  clientId: string;
  bootstrapBrokers: string[];
  maxBytesPerPartition: number;
}) => {
  on(event: 'consumer:group:join', listener: () => void): void;
  consume(options: { topics: string[]; mode: 'earliest'; autocommit: false }): Promise<{
    on(event: 'data', listener: (message: { value: Buffer | undefined }) => void): void;
    close(): Promise<void>;
  }>;
  close(force: boolean): Promise<void>;
};

const [client, topic, eventsArg, maxBytesArg] = process.argv.slice(2);
if (!client || !topic || !eventsArg) {
  throw new Error(
    'usage: bare-kafka-consumer.ts <kafkajs|platformatic> <topic> <events> [maxBytesPerPartition]',
  );
}
const events = Number(eventsArg);
const maxBytesPerPartition = Number(maxBytesArg ?? 1024 * 1024);
const brokers = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',');
const groupId = `${topic}-bare-${client}-${randomUUID().slice(0, 6)}`;

let seen = 0;
let checksum = 0;
let joinedAt = 0;
let cpuAtJoin = 0;
let finish: () => void = () => {};
const done = new Promise<void>((resolve) => {
  finish = resolve;
});
function joined(): void {
  if (joinedAt !== 0) return;
  joinedAt = performance.now();
  cpuAtJoin = procSample().cpuMs;
}
function parse(value: Buffer | undefined | null): void {
  const event = JSON.parse(value ? value.toString('utf8') : '{}') as { status?: number };
  checksum += event.status ?? 0;
  if (++seen === events) finish();
}

let close: () => Promise<void>;
if (client === 'kafkajs') {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'oxbow-bench-bare', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition });
  consumer.on(consumer.events.GROUP_JOIN, joined);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) parse(message.value);
    },
  });
  close = () => consumer.disconnect();
} else if (client === 'platformatic') {
  // Not a dependency of the project (decision 0007): loaded from an installation named by the environment.
  const entry = process.env.OXBOW_BENCH_PLATFORMATIC_KAFKA;
  if (!entry) throw new Error('set OXBOW_BENCH_PLATFORMATIC_KAFKA to @platformatic/kafka/dist/index.js');
  const { Consumer } = (await import(pathToFileURL(entry).href)) as { Consumer: PlatformaticConsumerClass };
  const consumer = new Consumer({
    groupId,
    clientId: 'oxbow-bench-bare',
    bootstrapBrokers: brokers,
    maxBytesPerPartition,
  });
  consumer.on('consumer:group:join', joined);
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  stream.on('data', (message) => parse(message.value));
  close = async () => {
    await stream.close();
    await consumer.close(true);
  };
} else {
  throw new Error(`unknown client ${client}`);
}
await done;
const seconds = (performance.now() - joinedAt) / 1000;
const sample = procSample();
const result: BareConsumerResult = {
  client,
  records: seen,
  seconds,
  cpuMs: sample.cpuMs - cpuAtJoin,
  peakRssBytes: sample.peakRssBytes,
};
if (checksum < 0) throw new Error('unreachable');
console.log(JSON.stringify(result));
await close();
process.exit(0);
