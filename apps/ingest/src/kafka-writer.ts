/**
 * The gateway's only way into Kafka: one idempotent producer (acks=all, one request in flight per broker) and, per
 * topic, a lane that sends what was queued — by every request and source at once — in produce requests of at most
 * `maxRequestBytes` of records, in queue order. A write resolves once Kafka acknowledged all its records and
 * rejects if any produce request holding them failed; each lane has one request in flight, so records of one key
 * keep their order across writes.
 */
import { encodedRecordBytes, RECORD_BATCH_OVERHEAD_BYTES } from '@oxbow/connectors';
import {
  type Admin,
  type Kafka,
  type Message,
  Partitioners,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import { IngestError } from './errors.ts';
import type { IngestMessage } from './records.ts';

/** Options of a {@link KafkaWriter}. */
export interface KafkaWriterOptions {
  /** The most bytes of records (as Kafka encodes them) in one produce request; a larger record goes alone. */
  readonly maxRequestBytes: number;
  /** How long a known-missing topic is believed missing before the broker is asked again. Default 2000 ms. */
  readonly missingTopicRecheckMs?: number;
  /** Producer settings beyond the gateway's (`retry`, `transactionTimeout`); tests shorten retries. */
  readonly producer?: Pick<ProducerConfig, 'retry'>;
  /** Told about every failed produce request. */
  readonly onSendError?: (topic: string, error: unknown, records: number) => void;
}

/** One write waiting in a lane. */
interface PendingWrite {
  readonly messages: readonly IngestMessage[];
  /** Index of the first message not yet handed to a produce request. */
  next: number;
  /** Produce requests holding its messages that have not answered yet. */
  unanswered: number;
  failed: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** The writes queued for one topic, sent one produce request at a time. */
class TopicLane {
  readonly queue: PendingWrite[] = [];
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  private readonly topic: string;
  private readonly writer: KafkaWriter;

  constructor(topic: string, writer: KafkaWriter) {
    this.topic = topic;
    this.writer = writer;
  }

  /** Resolves when the lane has nothing queued or in flight. */
  drained(): Promise<void> {
    return this.idle;
  }

  push(write: PendingWrite): void {
    this.queue.push(write);
    if (!this.running) {
      this.running = true;
      this.idle = new Promise((resolve) => {
        this.markIdle = resolve;
      });
      void this.run();
    }
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const { messages, holders } = this.nextRequest();
      try {
        await this.writer.send(this.topic, messages);
        for (const write of holders) {
          write.unanswered -= 1;
          if (!write.failed && write.unanswered === 0 && write.next === write.messages.length) {
            write.resolve();
          }
        }
      } catch (error) {
        this.writer.reportSendError(this.topic, error, messages.length);
        for (const write of holders) {
          write.unanswered -= 1;
          if (!write.failed) {
            write.failed = true;
            write.reject(error);
          }
        }
      }
      // One request is in flight at a time, so every write is now answered as far as it was sent: the complete
      // ones and the failed ones (their unsent rest is dropped) leave the queue.
      for (let i = this.queue.length - 1; i >= 0; i--) {
        const write = this.queue[i] as PendingWrite;
        if (write.failed || write.next === write.messages.length) this.queue.splice(i, 1);
      }
    }
    this.running = false;
    this.markIdle();
  }

  /** The next produce request: messages from the queue's head, in order, up to the byte limit. */
  private nextRequest(): { messages: Message[]; holders: PendingWrite[] } {
    const limit = this.writer.maxRequestBytes;
    const messages: Message[] = [];
    const holders: PendingWrite[] = [];
    let bytes = RECORD_BATCH_OVERHEAD_BYTES;
    for (const write of this.queue) {
      if (write.failed || write.next === write.messages.length) continue;
      let took = false;
      while (write.next < write.messages.length) {
        const source = write.messages[write.next] as IngestMessage;
        const message: Message = { key: source.key, value: source.value };
        const size = encodedRecordBytes(message);
        if (messages.length > 0 && bytes + size > limit) break;
        messages.push(message);
        bytes += size;
        write.next += 1;
        took = true;
      }
      if (took) {
        write.unanswered += 1;
        holders.push(write);
      }
      if (write.next < write.messages.length) break;
    }
    return { messages, holders };
  }
}

/** Whether `error` (of kafkajs, possibly wrapping others) says the topic does not exist. */
function isUnknownTopic(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const { type, errors, originalError, cause } = error as {
    type?: unknown;
    errors?: unknown;
    originalError?: unknown;
    cause?: unknown;
  };
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
  if (Array.isArray(errors) && errors.some((inner) => isUnknownTopic(inner, depth + 1))) return true;
  return isUnknownTopic(originalError, depth + 1) || isUnknownTopic(cause, depth + 1);
}

/**
 * Writes messages to Kafka topics and answers once Kafka acknowledged them.
 *
 * @example
 * const writer = new KafkaWriter(kafka, { maxRequestBytes: 1_000_000 });
 * await writer.connect();
 * await writer.write('http_logs', [{ key: 'host-1', value: '{"ts":…}', bytes: 120 }]); // acknowledged
 * await writer.close();
 */
export class KafkaWriter {
  readonly maxRequestBytes: number;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly lanes = new Map<string, TopicLane>();
  private readonly options: KafkaWriterOptions;
  private readonly known = new Set<string>();
  private readonly missing = new Map<string, number>();
  private connected = false;
  private closing = false;

  constructor(kafka: Kafka, options: KafkaWriterOptions) {
    this.options = options;
    this.maxRequestBytes = options.maxRequestBytes;
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      ...(options.producer?.retry ? { retry: options.producer.retry } : {}),
    });
    this.admin = kafka.admin();
  }

  /** Whether the producer is connected and the writer is not closing. */
  get ready(): boolean {
    return this.connected && !this.closing;
  }

  /** Records queued or in flight, over all topics. */
  get queuedRecords(): number {
    let records = 0;
    for (const lane of this.lanes.values()) {
      for (const write of lane.queue) records += write.messages.length;
    }
    return records;
  }

  /** Connects the producer (and the admin client that checks topics). */
  async connect(): Promise<void> {
    try {
      await this.producer.connect();
      await this.admin.connect();
    } catch (error) {
      await this.producer.disconnect().catch(() => undefined);
      throw new IngestError(
        'OXBOW_INGEST_KAFKA_FAILED',
        `cannot connect to Kafka: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    this.connected = true;
  }

  /**
   * Which of `topics` exist in Kafka. A topic seen is believed to exist until a write says otherwise; a missing one
   * is asked about again after `missingTopicRecheckMs`.
   */
  async existing(topics: readonly string[]): Promise<Set<string>> {
    const now = Date.now();
    const recheck = this.options.missingTopicRecheckMs ?? 2000;
    const unknown = topics.filter(
      (topic) =>
        !this.known.has(topic) && (this.missing.get(topic) ?? Number.NEGATIVE_INFINITY) + recheck <= now,
    );
    if (unknown.length > 0) {
      let listed: Set<string>;
      try {
        listed = new Set(await this.admin.listTopics());
      } catch (error) {
        throw new IngestError(
          'OXBOW_INGEST_KAFKA_FAILED',
          `Kafka did not list its topics: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error, retryAfterS: 1 },
        );
      }
      for (const topic of unknown) {
        if (listed.has(topic)) {
          this.known.add(topic);
          this.missing.delete(topic);
        } else {
          this.missing.set(topic, now);
        }
      }
    }
    return new Set(topics.filter((topic) => this.known.has(topic)));
  }

  /** Throws `OXBOW_INGEST_TOPIC_MISSING` unless `topic` exists in Kafka. */
  async requireTopic(topic: string): Promise<void> {
    if ((await this.existing([topic])).has(topic)) return;
    throw new IngestError(
      'OXBOW_INGEST_TOPIC_MISSING',
      `the Kafka topic "${topic}" does not exist; create it (oxbow start creates the project's topics)`,
      { retryAfterS: 5 },
    );
  }

  /**
   * Queues `messages` for `topic` behind what is queued already and resolves once Kafka acknowledged every one
   * (acks=all); rejects with `OXBOW_INGEST_KAFKA_FAILED` when a produce request holding some of them failed (records
   * of other produce requests of the same write may have been written: a retry may duplicate them).
   */
  write(topic: string, messages: readonly IngestMessage[]): Promise<void> {
    if (this.closing) {
      return Promise.reject(new IngestError('OXBOW_UNAVAILABLE', 'the gateway is shutting down'));
    }
    if (messages.length === 0) return Promise.resolve();
    let lane = this.lanes.get(topic);
    if (!lane) {
      lane = new TopicLane(topic, this);
      this.lanes.set(topic, lane);
    }
    return new Promise<void>((resolve, reject) => {
      lane.push({ messages, next: 0, unanswered: 0, failed: false, resolve, reject });
    });
  }

  /** @internal One produce request (the lane's). */
  async send(topic: string, messages: Message[]): Promise<void> {
    try {
      await this.producer.send({ topic, messages, acks: -1 });
    } catch (error) {
      if (isUnknownTopic(error)) {
        this.known.delete(topic);
        this.missing.set(topic, Date.now());
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new IngestError(
        isUnknownTopic(error) ? 'OXBOW_INGEST_TOPIC_MISSING' : 'OXBOW_INGEST_KAFKA_FAILED',
        `Kafka did not acknowledge the records for "${topic}": ${reason}`,
        { cause: error, retryAfterS: 1 },
      );
    }
  }

  /** @internal */
  reportSendError(topic: string, error: unknown, records: number): void {
    this.options.onSendError?.(topic, error, records);
  }

  /**
   * Refuses new writes, waits up to `timeoutMs` for the queued ones to be answered, then disconnects. Writes still
   * queued then are failed by the disconnect.
   */
  async close(timeoutMs = 30_000): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all([...this.lanes.values()].map((lane) => lane.drained())), deadline]);
    clearTimeout(timer);
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
    this.connected = false;
  }
}
