/**
 * Kafka on loopback for the ingest tests: fresh topics, reading a topic back whole, and a proxy that can hold
 * the gateway's traffic to the broker (Kafka stops answering without the broker stopping).
 */
import { randomUUID } from 'node:crypto';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';

export const TEST_BROKERS = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092')
  .split(',')
  .map((broker) => broker.trim());

export const testKafka = new Kafka({
  clientId: 'oxbow-ingest-test',
  brokers: TEST_BROKERS,
  logLevel: logLevel.NOTHING,
  retry: { retries: 8, initialRetryTime: 200 },
});

/** A prefix no other run uses, for topic names. */
export function uniquePrefix(name: string): string {
  return `ingest-${name}-${randomUUID().slice(0, 8)}`;
}

/** Creates `topics` with `partitions` partitions each. */
export async function createTopics(topics: readonly string[], partitions = 3): Promise<void> {
  const admin = testKafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    });
    // The leaders are elected, but a busy broker may not host the partitions yet ("This server does not host
    // this topic-partition"): wait until every partition answers a ListOffsets, which goes to its leader.
    const deadline = Date.now() + 30_000;
    for (const topic of topics) {
      for (;;) {
        try {
          const offsets = await admin.fetchTopicOffsets(topic);
          if (offsets.length === partitions || Date.now() > deadline) break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Deletes `topics` (best effort). */
export async function deleteTopics(topics: readonly string[]): Promise<void> {
  const admin = testKafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } catch {
    // Left for the broker's retention.
  } finally {
    await admin.disconnect();
  }
}

/** Whether `topic` exists. */
export async function topicExists(topic: string): Promise<boolean> {
  const admin = testKafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
}

/** One record read back. */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string;
}

/** Every record of `topic` up to its current end, by partition and offset. */
export async function readTopic(topic: string): Promise<ReadRecord[]> {
  const admin = testKafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((entry) => [entry.partition, Number(entry.high)]));
  } finally {
    await admin.disconnect();
  }
  const wanted = [...ends.values()].reduce((sum, high) => sum + high, 0);
  const records: ReadRecord[] = [];
  if (wanted === 0) return records;
  const consumer = testKafka.consumer({ groupId: `ingest-test-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length} of ${wanted} records`)),
        30_000,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const offset = Number(message.offset);
            if (offset >= (ends.get(partition) ?? 0)) return;
            records.push({
              partition,
              offset,
              key: message.key === null ? null : message.key.toString('utf8'),
              value: message.value?.toString('utf8') ?? '',
            });
            if (records.length >= wanted) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** The values of `records` grouped by key, each in offset order (the order of one key's partition). */
export function valuesByKey(records: readonly ReadRecord[]): Map<string | null, string[]> {
  const byKey = new Map<string | null, string[]>();
  for (const record of [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    byKey.set(record.key, [...(byKey.get(record.key) ?? []), record.value]);
  }
  return byKey;
}

/**
 * A TCP proxy in front of the broker that can hold traffic: while held, what a client sends is kept in the proxy
 * and does not reach Kafka, so no request is answered; `release` sends it on. Give a gateway a Kafka client whose
 * `socketFactory` is {@link HoldingProxy.socketFactory}: every broker connection goes through the proxy.
 */
export class HoldingProxy {
  private readonly server: Server;
  private readonly links = new Set<{ client: Socket; upstream: Socket; held: Buffer[] }>();
  private holding = false;
  private readonly target: { host: string; port: number };

  private constructor(server: Server, target: { host: string; port: number }) {
    this.server = server;
    this.target = target;
  }

  /** Starts a proxy to `broker` (`host:port`) on a free loopback port. */
  static async start(broker = TEST_BROKERS[0] ?? '127.0.0.1:29092'): Promise<HoldingProxy> {
    const separator = broker.lastIndexOf(':');
    const target = { host: broker.slice(0, separator), port: Number(broker.slice(separator + 1)) };
    let proxy: HoldingProxy | undefined;
    const server = createServer((client) => proxy?.accept(client));
    proxy = new HoldingProxy(server, target);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** A kafkajs `socketFactory` that connects every broker connection through this proxy. */
  readonly socketFactory = ({ onConnect }: { onConnect: () => void }): Socket => {
    const socket = netConnect({ host: '127.0.0.1', port: this.port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };

  /** Keeps what clients send from the broker. */
  hold(): void {
    this.holding = true;
  }

  /** Sends on what was held, and everything from now on. */
  release(): void {
    this.holding = false;
    for (const link of this.links) {
      for (const chunk of link.held.splice(0)) link.upstream.write(chunk);
    }
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = netConnect(this.target);
    const link = { client, upstream, held: [] as Buffer[] };
    this.links.add(link);
    client.on('data', (chunk: Buffer) => {
      if (this.holding) link.held.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.links.delete(link);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }
}
