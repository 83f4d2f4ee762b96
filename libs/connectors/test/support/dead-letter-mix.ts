/**
 * Test data for dead-lettering: valid event texts interleaved with every kind of invalid record Kafka accepts (not
 * JSON, wrong types, a negative `bytes`, missing fields, raw control characters, event times in 1970 and 2100, a
 * truncated object, `[1,2,3]`, `null`, a tombstone, 600 KB objects, objects just under the topic's
 * `max.message.bytes` and objects exactly as large as the topic accepts), a producer that keeps them in order on one partition with
 * requests the broker accepts, and a reader and checker of the dead-letter topic.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Message } from 'kafkajs';
import {
  DEAD_LETTER_ERROR_HEADER,
  DEAD_LETTER_SOURCE_HEADERS,
  DEAD_LETTER_TRUNCATION_HEADERS,
} from '../../src/kafka/dead-letter.ts';

/** The kinds of invalid record {@link mixInvalidRecords} makes. */
export const INVALID_KINDS = [
  'not-json',
  'wrong-types',
  'negative-bytes',
  'missing-fields',
  'control-characters',
  'ts-1970',
  'ts-2100',
  'truncated-object',
  'array',
  'null',
  'tombstone',
  'large-object',
  'near-max-object',
  'max-object',
] as const;

/** One kind of invalid record. */
export type InvalidKind = (typeof INVALID_KINDS)[number];

/**
 * How many of each kind the dead-letter tests interleave with ~20 000 valid events: ≈400 invalid records, a dozen
 * of them 600 KB, three just under the topic's limit and two at it (≈12 MB of invalid payload on one partition).
 * A 10 MB value itself never reaches the pipeline: the stack's topics keep Kafka's default `max.message.bytes`
 * (1 MiB), and the broker refuses larger records (`MESSAGE_TOO_LARGE`) — so the largest record Kafka accepts is
 * the test's largest.
 */
export const EVERY_KIND_COUNTS: Readonly<Record<InvalidKind, number>> = {
  'not-json': 50,
  'wrong-types': 50,
  'negative-bytes': 50,
  'missing-fields': 30,
  'control-characters': 30,
  'ts-1970': 20,
  'ts-2100': 20,
  'truncated-object': 50,
  array: 30,
  null: 30,
  tombstone: 20,
  'large-object': 12,
  'near-max-object': 3,
  'max-object': 2,
};

/** Bytes of `value` as a Kafka varint (zig-zag). */
function varintBytes(value: number): number {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (zigzag >= 128) {
    zigzag = Math.floor(zigzag / 128);
    bytes++;
  }
  return bytes;
}

/**
 * The largest value a topic of `maxMessageBytes` accepts in a record with a key of `keyBytes` (−1: none) and no
 * headers, alone in its record batch: the batch's 61 bytes of header and the record's own framing (length,
 * attributes, timestamp and offset deltas, key and value lengths, header count) come off the limit.
 */
export function largestValueBytes(maxMessageBytes: number, keyBytes: number): number {
  const framing = (value: number) =>
    1 + 1 + 1 + varintBytes(keyBytes) + Math.max(0, keyBytes) + varintBytes(value) + value + 1;
  let value = maxMessageBytes - 61 - 16;
  while (61 + varintBytes(framing(value)) + framing(value) > maxMessageBytes) value--;
  return value;
}

/** A record of the mix, in produce order. */
export interface MixedRecord {
  readonly kind: 'valid' | InvalidKind;
  /** The record's value (null: a tombstone). */
  readonly value: Buffer | null;
  /** For a valid record: its index in the valid events. */
  readonly validIndex?: number;
}

/** Options of {@link mixInvalidRecords}. */
export interface MixOptions {
  /** The valid events, produced in this order (as JSON). */
  readonly valid: readonly object[];
  /** How many records of each invalid kind. */
  readonly counts: Readonly<Record<InvalidKind, number>>;
  /** Size of a `large-object` value. Default 600 KB. */
  readonly largeBytes?: number;
  /** Size of a `near-max-object` value (just under what the source topic accepts). */
  readonly nearMaxBytes: number;
  /** Size of a `max-object` value (exactly what the source topic accepts: {@link largestValueBytes}). */
  readonly maxBytes?: number;
  /** Seed of the positions. Default 1. */
  readonly seed?: number;
}

/** A JSON object of `bytes` bytes: `template` with a `userAgent` padded to that size (never a valid event). */
function paddedObject(template: object, bytes: number, fill: string): Buffer {
  const base = Buffer.byteLength(JSON.stringify({ ...template, userAgent: '' }));
  const text = JSON.stringify({ ...template, userAgent: fill.repeat(Math.max(0, bytes - base)) });
  return Buffer.from(text);
}

function invalidValue(
  kind: InvalidKind,
  template: object,
  serial: number,
  options: MixOptions,
): Buffer | null {
  const fill = String.fromCharCode(97 + (serial % 26));
  switch (kind) {
    case 'not-json':
      return Buffer.from(`{"ts": not json #${serial}`);
    case 'wrong-types':
      return Buffer.from(JSON.stringify({ ...template, status: 'abc', bytes: 'many', latencyMs: [serial] }));
    case 'negative-bytes':
      return Buffer.from(JSON.stringify({ ...template, bytes: -512 - serial }));
    case 'missing-fields': {
      const { status: _status, userId: _userId, ...rest } = template as Record<string, unknown>;
      return Buffer.from(JSON.stringify(rest));
    }
    case 'control-characters':
      // Raw control characters (NUL, BEL, ESC) inside a string: not JSON (JSON.stringify would escape them).
      return Buffer.from(
        JSON.stringify({ ...template, host: 'HOST' }).replace('HOST', 'a\u0000b\u0007\u001b'),
      );
    case 'ts-1970':
      return Buffer.from(JSON.stringify({ ...template, ts: '1970-01-01T00:00:00.000Z' }));
    case 'ts-2100':
      return Buffer.from(JSON.stringify({ ...template, ts: '2100-01-01T00:00:00.000Z' }));
    case 'truncated-object': {
      const text = JSON.stringify(template);
      return Buffer.from(text.slice(0, Math.floor(text.length / 2)));
    }
    case 'array':
      return Buffer.from('[1,2,3]');
    case 'null':
      return Buffer.from('null');
    case 'tombstone':
      return null;
    case 'large-object':
      return paddedObject(template, options.largeBytes ?? 600_000, fill);
    case 'near-max-object':
      return paddedObject(template, options.nearMaxBytes, fill);
    case 'max-object':
      return paddedObject(template, options.maxBytes ?? options.nearMaxBytes, fill);
  }
}

/**
 * The valid events (as JSON) with the invalid records spread among them at seeded positions, invalid kinds
 * shuffled so that large records fall into the same batches as others.
 */
export function mixInvalidRecords(options: MixOptions): MixedRecord[] {
  let state = (options.seed ?? 1) >>> 0 || 1;
  const random = (): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
  const kinds: InvalidKind[] = [];
  for (const kind of INVALID_KINDS) for (let i = 0; i < options.counts[kind]; i++) kinds.push(kind);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as InvalidKind, kinds[i] as InvalidKind];
  }
  const valid = options.valid;
  const slots = kinds.map((_, i) => Math.floor(((i + random()) * valid.length) / Math.max(1, kinds.length)));
  const out: MixedRecord[] = [];
  let next = 0;
  for (let v = 0; v <= valid.length; v++) {
    while (next < kinds.length && (slots[next] ?? 0) <= v) {
      const kind = kinds[next] as InvalidKind;
      const template = valid[Math.min(valid.length - 1, v)] ?? {};
      out.push({ kind, value: invalidValue(kind, template, next, options) });
      next++;
    }
    const event = valid[v];
    if (event !== undefined)
      out.push({ kind: 'valid', value: Buffer.from(JSON.stringify(event)), validIndex: v });
  }
  return out;
}

/** Where each record of a mix landed. */
export interface ProducedMix {
  readonly partition: number;
  /** The offset of each record, in produce order. */
  readonly offsets: readonly bigint[];
}

/**
 * Produces `records` in order to `topic`, all with the same `key` (so on one partition) or, given a number, keyless
 * to that partition; one request in flight, at most `maxRequestBytes` of values per request (a larger record
 * alone), so the broker accepts every request.
 */
export async function produceMix(
  kafka: Kafka,
  topic: string,
  records: readonly MixedRecord[],
  target: string | { partition: number },
  maxRequestBytes = 256 * 1024,
): Promise<ProducedMix> {
  const placement = typeof target === 'string' ? { key: target } : { key: null, partition: target.partition };
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  await producer.connect();
  const offsets: bigint[] = [];
  const partitions = new Set<number>();
  try {
    let start = 0;
    while (start < records.length) {
      let end = start;
      let bytes = 0;
      while (end < records.length && end - start < 1000) {
        const size = records[end]?.value?.length ?? 0;
        if (end > start && bytes + size > maxRequestBytes) break;
        bytes += size;
        end++;
      }
      const messages: Message[] = records
        .slice(start, end)
        .map((record) => ({ ...placement, value: record.value }));
      const [metadata, ...others] = await producer.send({ topic, acks: -1, messages });
      if (!metadata || others.length > 0) throw new Error(`a request of ${topic} spread over partitions`);
      partitions.add(metadata.partition);
      const base = BigInt(metadata.baseOffset ?? '-1');
      for (let i = 0; i < messages.length; i++) offsets.push(base + BigInt(i));
      start = end;
    }
  } finally {
    await producer.disconnect();
  }
  if (partitions.size !== 1) throw new Error(`the mix landed on partitions ${[...partitions].join(', ')}`);
  return { partition: [...partitions][0] ?? 0, offsets };
}

/** A message read from the dead-letter topic. */
export interface DeadLetter {
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The dead letters of `sourceTopic` in `deadLetterTopic` (read from the beginning): waits for `expected` of them,
 * then `settleMs` longer so duplicates would show.
 */
export async function readDeadLetters(
  kafka: Kafka,
  deadLetterTopic: string,
  sourceTopic: string,
  expected: number,
  timeoutMs = 20_000,
  settleMs = 1000,
): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  const consumer = kafka.consumer({
    groupId: `oxbow-test-dl-${randomUUID().slice(0, 8)}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: deadLetterTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          const last = Array.isArray(value) ? value[value.length - 1] : value;
          if (last !== undefined) headers[name] = last.toString();
        }
        if (headers[DEAD_LETTER_SOURCE_HEADERS.topic] === sourceTopic)
          letters.push({ value: message.value, headers });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (letters.length < expected && Date.now() < deadline) await sleep(100);
    await sleep(settleMs);
  } finally {
    await consumer.disconnect();
  }
  return letters;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** What {@link checkDeadLetters} found. */
export interface DeadLetterCheck {
  /** Everything wrong (empty when every invalid record is in the topic exactly once, as it should be). */
  readonly problems: string[];
  /** Dead letters whose payload was truncated to fit the dead-letter topic. */
  readonly truncated: number;
}

/**
 * Checks that every invalid record of the mix is in `letters` exactly once (by source partition and offset), with
 * a reason starting with `reasonPrefix`, and either its whole value or a prefix of it with the original length and
 * SHA-256; and that no valid record was dead-lettered.
 */
export function checkDeadLetters(
  records: readonly MixedRecord[],
  produced: ProducedMix,
  letters: readonly DeadLetter[],
  reasonPrefix: string,
): DeadLetterCheck {
  const problems: string[] = [];
  const byOffset = new Map<string, DeadLetter[]>();
  for (const letter of letters) {
    const at = `${letter.headers[DEAD_LETTER_SOURCE_HEADERS.partition]}:${letter.headers[DEAD_LETTER_SOURCE_HEADERS.offset]}`;
    byOffset.set(at, [...(byOffset.get(at) ?? []), letter]);
  }
  let truncated = 0;
  records.forEach((record, i) => {
    const at = `${produced.partition}:${produced.offsets[i]}`;
    const found = byOffset.get(at) ?? [];
    byOffset.delete(at);
    if (record.kind === 'valid') {
      if (found.length > 0) problems.push(`${at}: a valid record was dead-lettered ${found.length}×`);
      return;
    }
    if (found.length !== 1) {
      problems.push(`${at} (${record.kind}): dead-lettered ${found.length}×, expected once`);
      return;
    }
    const letter = found[0] as DeadLetter;
    const reason = letter.headers[DEAD_LETTER_ERROR_HEADER] ?? '';
    if (!reason.startsWith(reasonPrefix) || reason.length <= reasonPrefix.length)
      problems.push(`${at} (${record.kind}): reason ${JSON.stringify(reason.slice(0, 80))}`);
    const original = record.value ?? Buffer.alloc(0);
    const value = letter.value ?? Buffer.alloc(0);
    if (letter.headers[DEAD_LETTER_TRUNCATION_HEADERS.truncated] === undefined) {
      if (!value.equals(original)) problems.push(`${at} (${record.kind}): value differs from the original`);
      return;
    }
    truncated++;
    if (letter.headers[DEAD_LETTER_TRUNCATION_HEADERS.valueBytes] !== String(original.length))
      problems.push(`${at} (${record.kind}): original length header is wrong`);
    if (letter.headers[DEAD_LETTER_TRUNCATION_HEADERS.valueSha256] !== sha256(original))
      problems.push(`${at} (${record.kind}): SHA-256 header is wrong`);
    if (value.length >= original.length || !original.subarray(0, value.length).equals(value))
      problems.push(`${at} (${record.kind}): the truncated value is not a strict prefix of the original`);
  });
  for (const [at, found] of byOffset)
    problems.push(`${at}: ${found.length} dead letter(s) for no produced record`);
  return { problems, truncated };
}

/** The effective `max.message.bytes` of a topic. */
export async function topicMaxMessageBytes(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic, configNames: ['max.message.bytes'] }],
    });
    const value = described.resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes');
    if (!value) throw new Error(`no max.message.bytes for ${topic}`);
    return Number(value.configValue);
  } finally {
    await admin.disconnect();
  }
}

/** A summary of the mix for messages: how many records of each kind. */
export function mixSummary(records: readonly MixedRecord[]): Record<string, number> {
  const summary: Record<string, number> = {};
  for (const record of records) summary[record.kind] = (summary[record.kind] ?? 0) + 1;
  return summary;
}
