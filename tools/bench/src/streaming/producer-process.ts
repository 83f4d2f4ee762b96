/**
 * The producer of the streaming benchmark, run as its own process:
 *
 * - `node producer-process.ts backlog <topic> <count> [seed] [http|sensors]`: sends `count` events (HTTP logs, or
 *   sensor readings) as fast as the broker takes them, then prints one JSON line `{ sent, seconds }`;
 * - `node producer-process.ts steady <topic> <ratePerSec> <seconds> [seed]`: sends events at a steady rate (a
 *   chunk every 50 ms, up to 8 requests in flight, event times following the production time) for `seconds`,
 *   then prints `{ sent, seconds, lateChunks }`
 *   (chunks sent more than 250 ms behind schedule: the producer itself could not keep up).
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { type BenchMessage, benchEvents, benchSensorReadings } from './dataset.ts';

const BROKERS = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',');

async function sendAll(producer: Producer, topic: string, messages: BenchMessage[]): Promise<void> {
  if (messages.length > 0) await producer.send({ topic, acks: 1, messages });
}

async function backlog(
  producer: Producer,
  topic: string,
  count: number,
  seed: number,
  kind: string,
): Promise<void> {
  const started = performance.now();
  const messages = kind === 'sensors' ? benchSensorReadings({ count, seed }) : benchEvents({ count, seed });
  let chunk: BenchMessage[] = [];
  let inFlight: Array<Promise<void>> = [];
  let sent = 0;
  for (const message of messages) {
    chunk.push(message);
    if (chunk.length === 2_000) {
      inFlight.push(sendAll(producer, topic, chunk));
      sent += chunk.length;
      chunk = [];
      if (inFlight.length >= 4) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
  }
  inFlight.push(sendAll(producer, topic, chunk));
  sent += chunk.length;
  await Promise.all(inFlight);
  console.log(JSON.stringify({ sent, seconds: (performance.now() - started) / 1000 }));
}

async function steady(
  producer: Producer,
  topic: string,
  ratePerSec: number,
  seconds: number,
  seed: number,
): Promise<void> {
  const total = Math.round(ratePerSec * seconds);
  // A live stream: event times follow the production time (with the generator's few late events).
  const events = benchEvents({
    count: total,
    seed,
    spanMs: seconds * 1000,
    endMs: Date.now() + seconds * 1000,
  });
  const tickMs = 50;
  const started = performance.now();
  let sent = 0;
  let lateChunks = 0;
  // Sends overlap (a few requests in flight), so a slow acknowledgement does not hold the schedule back.
  const inFlight = new Set<Promise<void>>();
  for (let tick = 1; sent < total; tick++) {
    const due = Math.min(total, Math.round((ratePerSec * tick * tickMs) / 1000));
    const chunk: BenchMessage[] = [];
    while (sent + chunk.length < due) {
      const next = events.next();
      if (next.done === true) break;
      chunk.push(next.value);
    }
    const sending = sendAll(producer, topic, chunk).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
    if (inFlight.size >= 8) await Promise.race(inFlight);
    sent += chunk.length;
    const wait = started + tick * tickMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    else if (wait < -250) lateChunks++;
  }
  await Promise.all(inFlight);
  console.log(JSON.stringify({ sent, seconds: (performance.now() - started) / 1000, lateChunks }));
}

const [mode, topic, a, b, c] = process.argv.slice(2);
if ((mode !== 'backlog' && mode !== 'steady') || topic === undefined || a === undefined) {
  console.error(
    'usage: producer-process.ts backlog <topic> <count> [seed] | steady <topic> <rate> <seconds> [seed]',
  );
  process.exit(2);
}
const kafka = new Kafka({ clientId: 'oxbow-bench-producer', brokers: BROKERS, logLevel: logLevel.NOTHING });
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
try {
  if (mode === 'backlog') await backlog(producer, topic, Number(a), Number(b ?? 42), c ?? 'http');
  else await steady(producer, topic, Number(a), Number(b), Number(c ?? 42));
} finally {
  await producer.disconnect();
}
