/**
 * KafkaDirectSource against the local stack's real Kafka broker: exactly-once cuts, starting offsets from the
 * sink, rate limits, dead letters and a consumer-group rebalance. Each test uses its own LogAppendTime topic.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_ERROR_HEADER,
  DEAD_LETTER_SOURCE_HEADERS,
  DEFAULT_DEAD_LETTER_TOPIC,
  type DeadLetterNote,
  type KafkaBatch,
  KafkaDirectSource,
  type KafkaDirectSourceOptions,
  type KafkaRecord,
  parseOffset,
  partitionKey,
  RejectedRecord,
} from '../src/kafka/index.ts';

const BROKERS = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',').map((b) => b.trim());
const PARTITIONS = 3;
/** Fast group membership for tests (the broker's minimum session timeout is 6 s). */
const FAST_GROUP = {
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 300,
  rebalanceTimeoutMs: 6000,
  maxWaitTimeMs: 100,
};

interface Event {
  id: number;
}

const kafka = new Kafka({
  clientId: 'oxbow-kafka-source-test',
  brokers: BROKERS,
  logLevel: logLevel.ERROR,
  retry: { retries: 8, initialRetryTime: 200 },
});
let admin: Admin;
let producer: Producer;
const createdTopics: string[] = [];

beforeAll(async () => {
  admin = kafka.admin();
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await Promise.all([admin.connect(), producer.connect()]);
});

afterAll(async () => {
  if (createdTopics.length > 0) await admin.deleteTopics({ topics: createdTopics }).catch(() => {});
  await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
});

/** A fresh 3-partition LogAppendTime topic. */
async function createTopic(label: string): Promise<string> {
  const topic = `oxbow-test-kafka-${label}-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      },
    ],
  });
  createdTopics.push(topic);
  return topic;
}

/** Produces events `ids` (event `i` goes to partition `i % 3`, key `k<i % 7>`); returns what each partition got. */
async function produce(
  topic: string,
  ids: number[],
  value: (id: number) => string = (id) => JSON.stringify({ id }),
) {
  await producer.send({
    topic,
    acks: -1,
    messages: ids.map((id) => ({ partition: id % PARTITIONS, key: `k${id % 7}`, value: value(id) })),
  });
}

function range(from: number, until: number): number[] {
  return Array.from({ length: until - from }, (_, i) => from + i);
}

function sourceOptions(
  topic: string,
  overrides: Partial<Omit<KafkaDirectSourceOptions<Event>, 'deserializeBatch'>> = {},
) {
  return {
    brokers: BROKERS,
    topics: [topic],
    groupId: `oxbow-test-${topic}`,
    startingOffsets: 'earliest',
    batchIntervalMs: 100,
    deserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as Event,
    consumer: FAST_GROUP,
    ...overrides,
  } satisfies KafkaDirectSourceOptions<Event>;
}

/**
 * The application's sink, in memory: results and next offsets per partition, committed atomically only if its
 * offsets still equal the batch's `fromOffset`s (absent counts as a match: nothing was committed yet).
 */
class MemorySink {
  readonly offsets = new Map<string, string>();
  readonly records: Array<KafkaRecord<Event>> = [];

  offset = async (topic: string, partition: number): Promise<string | undefined> =>
    this.offsets.get(partitionKey(topic, partition));

  commit(batch: KafkaBatch<Event>): boolean {
    for (const r of batch.offsetRanges) {
      const current = this.offsets.get(partitionKey(r.topic, r.partition));
      if (current !== undefined && current !== r.fromOffset) return false;
    }
    for (const r of batch.offsetRanges) this.offsets.set(partitionKey(r.topic, r.partition), r.untilOffset);
    for (const p of batch.partitions) this.records.push(...p.records);
    return true;
  }
}

interface DriverResult {
  batches: Array<KafkaBatch<Event>>;
  rejected: number;
}

/**
 * Cuts a batch every `intervalMs` (like a DStream's timer), commits it to the sink and reports it, until `done()`;
 * fails after `timeoutMs`. Progress is visible in `result` while it runs.
 */
async function drive(
  source: KafkaDirectSource<Event>,
  sink: MemorySink,
  done: () => boolean,
  options: { timeoutMs?: number; processingMs?: number; intervalMs?: number; result?: DriverResult } = {},
): Promise<DriverResult> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const result: DriverResult = options.result ?? { batches: [], rejected: 0 };
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(`driver timed out; sink offsets ${JSON.stringify([...sink.offsets])}`);
    const batch = await source.nextBatch(Date.now());
    if (batch.offsetRanges.length > 0) {
      if (options.processingMs) await sleep(options.processingMs);
      if (sink.commit(batch)) {
        result.batches.push(batch);
        const numRecords = batch.partitions.reduce((n, p) => n + p.records.length, 0);
        await source.batchCompleted(batch, { numRecords, processingDelayMs: 10, schedulingDelayMs: 0 });
      } else {
        result.rejected++;
        await source.batchFailed(batch);
      }
    }
    await sleep(options.intervalMs ?? 50);
  }
  return result;
}

/** True once the sink's offsets reached the topic's end offsets. */
async function endOffsets(topic: string): Promise<Map<string, string>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [partitionKey(topic, o.partition), o.high]));
}

function reached(sink: MemorySink, ends: Map<string, string>): () => boolean {
  return () => [...ends].every(([key, end]) => end === '0' || sink.offsets.get(key) === end);
}

/** Checks ranges are contiguous per partition from `starts`, and records lie inside their range in order. */
function expectContiguous(batches: Array<KafkaBatch<Event>>, starts: Map<string, string>): void {
  const next = new Map(starts);
  for (const batch of batches) {
    for (const p of batch.partitions) {
      const key = partitionKey(p.range.topic, p.range.partition);
      expect(p.range.fromOffset, key).toBe(next.get(key));
      expect(parseOffset(p.range.untilOffset) > parseOffset(p.range.fromOffset)).toBe(true);
      let previous = parseOffset(p.range.fromOffset) - 1n;
      for (const r of p.records) {
        const offset = parseOffset(r.offset);
        expect(offset > previous && offset < parseOffset(p.range.untilOffset)).toBe(true);
        previous = offset;
      }
      next.set(key, p.range.untilOffset);
    }
  }
}

function idsByPartition(records: ReadonlyArray<KafkaRecord<Event>>): number[][] {
  const byPartition: number[][] = Array.from({ length: PARTITIONS }, () => []);
  for (const r of records) byPartition[r.partition]?.push(r.value.id);
  return byPartition;
}

function expectedByPartition(ids: number[]): number[][] {
  return Array.from({ length: PARTITIONS }, (_, p) => ids.filter((id) => id % PARTITIONS === p));
}

describe('KafkaDirectSource (real Kafka)', () => {
  it('cuts every record exactly once, in contiguous ranges, in partition order', async () => {
    const topic = await createTopic('exactly-once');
    const startedAt = Date.now();
    await produce(topic, range(0, 150));
    const source = new KafkaDirectSource(sourceOptions(topic));
    const sink = new MemorySink();
    await source.start();
    try {
      expect(source.assignment()).toEqual(range(0, PARTITIONS).map((partition) => ({ topic, partition })));
      const first = drive(source, sink, () => sink.records.length >= 300);
      await waitFor(() => sink.records.length >= 150, 'the first wave');
      await produce(topic, range(150, 225));
      await waitFor(() => sink.records.length >= 225, 'the second wave');
      await produce(topic, range(225, 300));
      const { batches, rejected } = await first;
      expect(rejected).toBe(0);
      expect(batches.length).toBeGreaterThanOrEqual(3);
      expect(idsByPartition(sink.records)).toEqual(expectedByPartition(range(0, 300)));
      expectContiguous(batches, new Map(range(0, PARTITIONS).map((p) => [partitionKey(topic, p), '0'])));
      expect([...sink.offsets.values()]).toEqual(['100', '100', '100']);
      // LogAppendTime: broker timestamps, never going backwards within a partition.
      for (const p of range(0, PARTITIONS)) {
        const stamps = sink.records.filter((r) => r.partition === p).map((r) => r.timestamp);
        expect(stamps.every((t, i) => t >= startedAt - 5000 && (i === 0 || t >= (stamps[i - 1] ?? 0)))).toBe(
          true,
        );
      }
      expect(sink.records[0]?.key).toMatch(/^k\d$/);
      expect(source.metrics()).toMatchObject({ recordsIn: 300, deadLettered: 0, rebalances: 0 });
      // Group offsets were committed (never auto): they equal the sink's.
      const committed = await admin.fetchOffsets({ groupId: `oxbow-test-${topic}`, topics: [topic] });
      expect(committed[0]?.partitions.map((p) => p.offset)).toEqual(['100', '100', '100']);
    } finally {
      await source.stop();
    }
    expect(await source.nextBatch(Date.now())).toMatchObject({ offsetRanges: [], partitions: [] });
  });

  it('starts from the sink’s offsets, else the group’s committed offset, else earliest', async () => {
    const topic = await createTopic('resume');
    await produce(topic, range(0, 90)); // 30 per partition
    const groupId = `oxbow-test-${topic}`;
    // A first run of the group takes [0, 5) of every partition and commits the group offsets 5, 5, 5.
    const earlier = new KafkaDirectSource(sourceOptions(topic, { groupId, maxRatePerPartition: 50 }));
    await earlier.start();
    try {
      await waitFor(
        () => Object.values(earlier.metrics().lagPerPartition).join() === '30,30,30',
        'the fetch',
      );
      const batch = await earlier.nextBatch(Date.now());
      expect(batch.offsetRanges.map((r) => `${r.fromOffset}-${r.untilOffset}`)).toEqual([
        '0-5',
        '0-5',
        '0-5',
      ]);
      await earlier.batchCompleted(batch, { numRecords: 15, processingDelayMs: 1, schedulingDelayMs: 0 });
    } finally {
      await earlier.stop();
    }
    // The sink knows partitions 0 and 1 only.
    const sink = new MemorySink();
    sink.offsets.set(partitionKey(topic, 0), '10');
    sink.offsets.set(partitionKey(topic, 1), '25');
    const source = new KafkaDirectSource(sourceOptions(topic, { groupId, startingOffsets: sink.offset }));
    await source.start();
    try {
      const { batches } = await drive(source, sink, reached(sink, await endOffsets(topic)));
      const ids = idsByPartition(sink.records);
      // Partition p holds ids p, p+3, …; offset o of partition p holds id 3·o + p.
      expect(ids[0]).toEqual(range(10, 30).map((o) => 3 * o));
      expect(ids[1]).toEqual(range(25, 30).map((o) => 3 * o + 1)); // the sink wins over the group's 5
      expect(ids[2]).toEqual(range(5, 30).map((o) => 3 * o + 2));
      expectContiguous(
        batches,
        new Map([
          [partitionKey(topic, 0), '10'],
          [partitionKey(topic, 1), '25'],
          [partitionKey(topic, 2), '5'],
        ]),
      );
    } finally {
      await source.stop();
    }
  });

  it('bounds each partition by maxRatePerPartition × interval, and by the backpressure estimate', async () => {
    const topic = await createTopic('rate');
    await produce(topic, range(0, 240)); // 80 per partition
    let now = 1000;
    const source = new KafkaDirectSource(
      sourceOptions(topic, {
        maxRatePerPartition: 200, // × 100 ms = 20 records per partition per batch
        backpressure: true,
        initialRate: 450, // 150/s per partition when lags are equal: capped at 200 → 15 per batch
        clock: { now: () => now },
      }),
    );
    const sink = new MemorySink();
    await source.start();
    try {
      // Let every partition fetch its 80 records, so lags are equal and the cut is the only bound.
      await waitFor(() => Object.values(source.metrics().lagPerPartition).join() === '80,80,80', 'the fetch');
      const first = await source.nextBatch(Date.now());
      expect(first.partitions.map((p) => p.records.length)).toEqual([15, 15, 15]);
      expect(source.metrics().currentRateLimit).toBe(450);
      sink.commit(first);
      await source.batchCompleted(first, { numRecords: 45, processingDelayMs: 100, schedulingDelayMs: 0 }); // 450/s
      now = 2000;
      const second = await source.nextBatch(Date.now());
      sink.commit(second);
      // Processing at 150/s: error 450 − 150 = 300 → estimate 150/s → 15 per batch, 5 per partition.
      await source.batchCompleted(second, { numRecords: 15, processingDelayMs: 100, schedulingDelayMs: 0 });
      expect(source.metrics().currentRateLimit).toBe(150);
      const third = await source.nextBatch(Date.now());
      expect(third.partitions.map((p) => p.records.length)).toEqual([5, 5, 5]);
      sink.commit(third);
      // With backpressure satisfied, the static cap still holds: no partition ever gives more than 20.
      const { batches } = await drive(source, sink, reached(sink, await endOffsets(topic)));
      for (const batch of [first, second, third, ...batches]) {
        for (const p of batch.partitions) expect(p.records.length).toBeLessThanOrEqual(20);
      }
      expect(idsByPartition(sink.records)).toEqual(expectedByPartition(range(0, 240)));
    } finally {
      await source.stop();
    }
  });

  it('sends undeserializable records to the dead-letter topic with the reason, counts them, and goes on', async () => {
    const topic = await createTopic('dead-letter');
    const dlqBefore = new Map(
      (await admin.fetchTopicOffsets(DEFAULT_DEAD_LETTER_TOPIC)).map((o) => [o.partition, o.high]),
    );
    const bad = new Set([4, 5, 17, 29]);
    await produce(topic, range(0, 30), (id) => (bad.has(id) ? `not json ${id}` : JSON.stringify({ id })));
    const source = new KafkaDirectSource(sourceOptions(topic));
    const sink = new MemorySink();
    const startedAt = Date.now();
    let recent: DeadLetterNote[] = [];
    await source.start();
    try {
      const { batches } = await drive(source, sink, reached(sink, await endOffsets(topic)));
      const good = range(0, 30).filter((id) => !bad.has(id));
      expect(idsByPartition(sink.records)).toEqual(expectedByPartition(good));
      expect(batches.reduce((n, b) => n + b.deadLettered, 0)).toBe(4);
      expect(source.metrics()).toMatchObject({ recordsIn: 30, deadLettered: 4 });
      recent = source.metrics().recentDeadLetters;
      expect([...sink.offsets.values()]).toEqual(['10', '10', '10']); // bad offsets are inside the ranges
    } finally {
      await source.stop();
    }
    // Read the dead-letter topic from where it ended before this test, with the source itself.
    const dlqGroup = `oxbow-test-dlq-${randomUUID().slice(0, 8)}`;
    const reader = new KafkaDirectSource<Buffer>({
      ...sourceOptions(DEFAULT_DEAD_LETTER_TOPIC, { groupId: dlqGroup }),
      deserialize: (bytes) => bytes,
      startingOffsets: async (_topic, partition) => dlqBefore.get(partition),
    });
    const letters: Array<KafkaRecord<Buffer>> = [];
    await reader.start();
    try {
      const deadline = Date.now() + 10_000;
      while (letters.filter((r) => r.headers[DEAD_LETTER_SOURCE_HEADERS.topic] === topic).length < 4) {
        if (Date.now() > deadline) throw new Error('dead letters did not arrive');
        const batch = await reader.nextBatch(Date.now());
        for (const p of batch.partitions) letters.push(...p.records);
        if (batch.offsetRanges.length === 0) await sleep(50);
      }
    } finally {
      await reader.stop();
      await admin.deleteGroups([dlqGroup]).catch(() => {});
    }
    const ours = letters.filter((r) => r.headers[DEAD_LETTER_SOURCE_HEADERS.topic] === topic);
    expect(ours.map((r) => r.value.toString('utf8')).sort()).toEqual(
      ['not json 17', 'not json 29', 'not json 4', 'not json 5'].sort(),
    );
    for (const letter of ours) {
      const id = Number(letter.value.toString('utf8').slice('not json '.length));
      expect(letter.key).toBe(`k${id % 7}`);
      expect(letter.headers[DEAD_LETTER_ERROR_HEADER]).toMatch(/SyntaxError/);
      expect(letter.headers[DEAD_LETTER_SOURCE_HEADERS.partition]).toBe(String(id % PARTITIONS));
      expect(letter.headers[DEAD_LETTER_SOURCE_HEADERS.offset]).toBe(String(Math.floor(id / PARTITIONS)));
    }
    // The source remembers the same four, with the dead letters' reasons, for people to look at.
    const position = (topicName: string, partition: string | number, offset: string) =>
      `${topicName}/${partition}@${offset}`;
    expect(recent.map((note) => position(note.topic, note.partition, note.offset)).sort()).toEqual(
      ours
        .map((letter) =>
          position(
            topic,
            letter.headers[DEAD_LETTER_SOURCE_HEADERS.partition] ?? '',
            letter.headers[DEAD_LETTER_SOURCE_HEADERS.offset] ?? '',
          ),
        )
        .sort(),
    );
    for (const note of recent) {
      const letter = ours.find(
        (candidate) =>
          candidate.headers[DEAD_LETTER_SOURCE_HEADERS.partition] === String(note.partition) &&
          candidate.headers[DEAD_LETTER_SOURCE_HEADERS.offset] === note.offset,
      );
      expect(note.reason).toBe(letter?.headers[DEAD_LETTER_ERROR_HEADER]);
      expect(note.at).toBeGreaterThanOrEqual(startedAt);
    }
    expect([...recent].sort((a, b) => b.at - a.at)).toEqual(recent); // newest first
  });

  it('hands partitions over on rebalances without losing or repeating a committed record', async () => {
    const topic = await createTopic('rebalance');
    const groupId = `oxbow-test-${topic}`;
    const sink = new MemorySink(); // shared by both instances, like the application's store
    // kafkajs logs the expected "group is rebalancing" heartbeat responses as errors: keep the output quiet.
    const options = sourceOptions(topic, {
      groupId,
      startingOffsets: sink.offset,
      maxRatePerPartition: 100,
      logLevel: 'nothing',
    });
    const a = new KafkaDirectSource(options);
    const b = new KafkaDirectSource(options);
    await produce(topic, range(0, 120));
    await a.start();
    let stopA = false;
    let stopB = false;
    const pace = { timeoutMs: 30_000, processingMs: 20, intervalMs: 100 };
    const resultA: DriverResult = { batches: [], rejected: 0 };
    const resultB: DriverResult = { batches: [], rejected: 0 };
    const runA = drive(a, sink, () => stopA, { ...pace, result: resultA });
    let runB: Promise<DriverResult> | undefined;
    try {
      await waitFor(() => sink.records.length >= 15, 'a to commit its first batches');
      await b.start(); // resolves once b holds positioned partitions of the new generation
      runB = drive(b, sink, () => stopB, { ...pace, result: resultB });
      await produce(topic, range(120, 240));
      await waitFor(
        () => a.assignment().length > 0 && b.assignment().length > 0 && resultB.batches.length >= 2,
        'the group to spread over both instances and b to commit',
      );
      expect(a.assignment().length + b.assignment().length).toBe(PARTITIONS);
      stopB = true;
      await runB;
      await b.stop(); // leaves the group: a takes every partition back from the sink's offsets
      await produce(topic, range(240, 300));
      const done = reached(sink, await endOffsets(topic));
      await waitFor(() => done() && a.assignment().length === PARTITIONS, 'a to consume everything', 15_000);
      stopA = true;
      await runA;
      expect(a.metrics().rebalances).toBeGreaterThanOrEqual(2);
      // Every record exactly once over the union of both instances' committed batches.
      expect(idsByPartition(sink.records)).toEqual(expectedByPartition(range(0, 300)));
      expect(resultB.batches.length).toBeGreaterThanOrEqual(2);
      expect(resultA.rejected + resultB.rejected).toBeGreaterThanOrEqual(0); // conflicts are allowed, never commits
    } finally {
      stopA = true;
      stopB = true;
      await Promise.allSettled([runA, runB]);
      await Promise.allSettled([a.stop(), b.stop()]);
    }
  });

  it('deserializes whole cuts asynchronously with deserializeBatch, dead-lettering RejectedRecords', async () => {
    const topic = await createTopic('batch-deserialize');
    const bad = new Set([1, 9, 20]);
    await produce(topic, range(0, 30), (id) => (bad.has(id) ? `not json ${id}` : JSON.stringify({ id })));
    const calls: number[] = [];
    const { deserialize: _unused, ...options } = sourceOptions(topic);
    const source = new KafkaDirectSource<Event>({
      ...options,
      deserializeBatch: async (_topic, partition, records) => {
        calls.push(partition);
        await sleep(5); // elsewhere, meanwhile fetches go on
        return records.map((record) => {
          try {
            return JSON.parse(record.value?.toString('utf8') ?? '') as Event;
          } catch (error) {
            return new RejectedRecord(error);
          }
        });
      },
    });
    const sink = new MemorySink();
    await source.start();
    try {
      const { batches } = await drive(source, sink, reached(sink, await endOffsets(topic)));
      expect(idsByPartition(sink.records)).toEqual(
        expectedByPartition(range(0, 30).filter((id) => !bad.has(id))),
      );
      expect(batches.reduce((n, b) => n + b.deadLettered, 0)).toBe(3);
      expect(source.metrics()).toMatchObject({ recordsIn: 30, deadLettered: 3 });
      expect([...sink.offsets.values()]).toEqual(['10', '10', '10']);
      expect(new Set(calls)).toEqual(new Set([0, 1, 2]));
      for (const batch of batches)
        for (const r of batch.offsetRanges) expect(source.ownsRange(batch, r)).toBe(true);
    } finally {
      await source.stop();
    }
  });

  it('hands nothing out when deserializeBatch fails, and cuts the same records again', async () => {
    const topic = await createTopic('batch-deserialize-fails');
    await produce(topic, range(0, 12));
    let failures = 1;
    const { deserialize: _unused, ...options } = sourceOptions(topic);
    const source = new KafkaDirectSource<Event>({
      ...options,
      deserializeBatch: async (_topic, _partition, records) => {
        if (failures > 0) {
          failures--;
          throw new Error('decoder went away');
        }
        return records.map((record) => JSON.parse(record.value?.toString('utf8') ?? '') as Event);
      },
    });
    const sink = new MemorySink();
    await source.start();
    try {
      const ends = await endOffsets(topic);
      let first: unknown;
      while (first === undefined) {
        try {
          const batch = await source.nextBatch(Date.now());
          if (batch.offsetRanges.length > 0) sink.commit(batch);
        } catch (error) {
          first = error;
        }
        await sleep(20);
      }
      expect(String(first)).toMatch(/deserializeBatch failed \(decoder went away\)/);
      await drive(source, sink, reached(sink, ends));
      expect(idsByPartition(sink.records)).toEqual(expectedByPartition(range(0, 12)));
    } finally {
      await source.stop();
    }
  });

  it('commits the newest offsets of several batches at once, from their ranges alone', async () => {
    const topic = await createTopic('batches');
    const groupId = `oxbow-test-${topic}`;
    const source = new KafkaDirectSource<Event>(sourceOptions(topic, { groupId }));
    await source.start();
    try {
      const kept: Array<Pick<KafkaBatch<Event>, 'offsetRanges'>> = [];
      const cutIds: number[] = [];
      for (const ids of [range(0, 30), range(30, 45)]) {
        await produce(topic, ids);
        const ends = await endOffsets(topic);
        let cut = new Map<string, string>();
        while (![...ends].every(([key, end]) => cut.get(key) === end)) {
          const batch = await source.nextBatch(Date.now());
          for (const p of batch.partitions) cutIds.push(...p.records.map((r) => r.value.id));
          for (const r of batch.offsetRanges)
            cut = cut.set(partitionKey(r.topic, r.partition), r.untilOffset);
          // The application keeps only the ranges array (the records are in its sink).
          if (batch.offsetRanges.length > 0) kept.push({ offsetRanges: batch.offsetRanges });
          await sleep(20);
        }
      }
      expect(cutIds.sort((x, y) => x - y)).toEqual(range(0, 45));
      expect(kept.length).toBeGreaterThanOrEqual(2);
      // A copy of the ranges is not a batch of this source: nothing is committed for it.
      await source.batchesCompleted([{ offsetRanges: [...(kept[0]?.offsetRanges ?? [])] }], {
        numRecords: 0,
        processingDelayMs: 1,
        schedulingDelayMs: 0,
      });
      const before = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(before[0]?.partitions.every((p) => p.offset === '-1')).toBe(true);
      await source.batchesCompleted(kept, { numRecords: 45, processingDelayMs: 1, schedulingDelayMs: 0 });
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      const ends = await endOffsets(topic);
      for (const p of committed[0]?.partitions ?? []) {
        expect(p.offset, `partition ${p.partition}`).toBe(ends.get(partitionKey(topic, p.partition)));
      }
      expect(source.metrics().commitFailures).toBe(0);
    } finally {
      await source.stop();
    }
  });
});

/** Polls `condition` every 50 ms; fails naming `what` after `timeoutMs`. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
