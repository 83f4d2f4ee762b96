import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_ERROR_HEADER,
  DEAD_LETTER_SOURCE_HEADERS,
  DEAD_LETTER_TRUNCATION_HEADERS,
  deadLetterMessage,
  deadLetterSends,
  deadLetterTopicMaxBytes,
  encodedRecordBytes,
  RECORD_BATCH_OVERHEAD_BYTES,
} from './dead-letter.ts';
import type { BufferedRecord } from './partition-buffer.ts';

// kafkajs's own record encoder (v2 records), to check the size bound against the bytes it really writes.
const encodeRecord = createRequire(import.meta.url)(
  'kafkajs/src/protocol/recordBatch/record/v0/index.js',
) as (record: Record<string, unknown>) => { buffer: Buffer };

function record(value: Buffer | null, extra: Partial<BufferedRecord> = {}): BufferedRecord {
  return { offset: 1234n, timestamp: 1_700_000_000_000, key: Buffer.from('k'), value, headers: {}, ...extra };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const headerOf = (message: Message, name: string) => message.headers?.[name]?.toString();
const bytesOf = (message: Message) => (message.value === null ? null : Buffer.from(message.value ?? ''));
const fits = (message: Message, limit: number) =>
  RECORD_BATCH_OVERHEAD_BYTES + encodedRecordBytes(message) <= limit;

describe('deadLetterMessage', () => {
  it('keeps the whole record with the reason and its source position when it fits', () => {
    const value = Buffer.from('{"ts": not json');
    const message = deadLetterMessage(
      'events',
      2,
      record(value, { headers: { trace: 'abc' } }),
      new SyntaxError('bad'),
      {
        maxMessageBytes: 1_048_588,
      },
    );
    expect(bytesOf(message)).toEqual(value);
    expect(message.key).toEqual(Buffer.from('k'));
    expect(message.headers).toEqual({
      trace: 'abc',
      [DEAD_LETTER_ERROR_HEADER]: 'SyntaxError: bad',
      [DEAD_LETTER_SOURCE_HEADERS.topic]: 'events',
      [DEAD_LETTER_SOURCE_HEADERS.partition]: '2',
      [DEAD_LETTER_SOURCE_HEADERS.offset]: '1234',
      [DEAD_LETTER_SOURCE_HEADERS.timestamp]: '1700000000000',
    });
  });

  it('keeps a tombstone a tombstone', () => {
    const message = deadLetterMessage('events', 0, record(null), new Error('empty'), {
      maxMessageBytes: 2000,
    });
    expect(message.value).toBeNull();
  });

  it('cuts a value that does not fit to a prefix, with its original length and SHA-256', () => {
    const value = Buffer.alloc(1_048_588 - 100, 'x');
    const limit = 1_048_588;
    const message = deadLetterMessage('events', 0, record(value), new Error('too long'), {
      maxMessageBytes: limit,
    });
    const kept = bytesOf(message) ?? Buffer.alloc(0);
    expect(fits(message, limit)).toBe(true);
    expect(kept.length).toBeLessThan(value.length);
    expect(kept.length).toBeGreaterThan(limit - 2000);
    expect(value.subarray(0, kept.length).equals(kept)).toBe(true);
    expect(headerOf(message, DEAD_LETTER_TRUNCATION_HEADERS.truncated)).toBe('value');
    expect(headerOf(message, DEAD_LETTER_TRUNCATION_HEADERS.valueBytes)).toBe(String(value.length));
    expect(headerOf(message, DEAD_LETTER_TRUNCATION_HEADERS.valueSha256)).toBe(sha256(value));
    expect(headerOf(message, DEAD_LETTER_ERROR_HEADER)).toBe('Error: too long');
    // The same record fits whole in a topic sized by deadLetterTopicMaxBytes.
    const whole = deadLetterMessage('events', 0, record(value), new Error('too long'), {
      maxMessageBytes: deadLetterTopicMaxBytes(limit),
    });
    expect(bytesOf(whole)).toEqual(value);
    expect(headerOf(whole, DEAD_LETTER_TRUNCATION_HEADERS.truncated)).toBeUndefined();
  });

  it('drops huge source headers and cuts a huge key when nothing else leaves room', () => {
    const key = Buffer.alloc(5000, 'k');
    const headers = { big: 'h'.repeat(5000), small: 's' };
    const message = deadLetterMessage(
      'events',
      0,
      record(Buffer.alloc(100, 'v'), { key, headers }),
      new Error('x'),
      {
        maxMessageBytes: 3000,
      },
    );
    expect(fits(message, 3000)).toBe(true);
    expect(headerOf(message, 'big')).toBeUndefined();
    expect(headerOf(message, DEAD_LETTER_TRUNCATION_HEADERS.truncated)).toBe('value,key,headers');
    expect(headerOf(message, DEAD_LETTER_TRUNCATION_HEADERS.droppedHeaders)).toBe('2');
    expect(headerOf(message, DEAD_LETTER_TRUNCATION_HEADERS.keyBytes)).toBe('5000');
    expect(headerOf(message, DEAD_LETTER_TRUNCATION_HEADERS.keySha256)).toBe(sha256(key));
    expect(headerOf(message, DEAD_LETTER_SOURCE_HEADERS.offset)).toBe('1234');
  });

  it('refuses a limit too small for the dead-letter headers themselves', () => {
    expect(() =>
      deadLetterMessage('events', 0, record(Buffer.from('x')), new Error('y'.repeat(900)), {
        maxMessageBytes: 500,
      }),
    ).toThrow(RangeError);
  });

  it('always fits the limit, with a prefix of the value and the right length and hash (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 1500, max: 30_000 }),
        fc.string({ maxLength: 1200 }),
        (valueBytes, keyBytes, limit, reason) => {
          const value = Buffer.alloc(valueBytes, 'v');
          const source = record(value, { key: keyBytes === 0 ? null : Buffer.alloc(keyBytes, 'k') });
          const message = deadLetterMessage('events', 7, source, new Error(reason), {
            maxMessageBytes: limit,
          });
          expect(fits(message, limit)).toBe(true);
          const kept = bytesOf(message) ?? Buffer.alloc(0);
          expect(value.subarray(0, kept.length).equals(kept)).toBe(true);
          if (kept.length < value.length) {
            expect(headerOf(message, DEAD_LETTER_TRUNCATION_HEADERS.valueBytes)).toBe(String(valueBytes));
            expect(headerOf(message, DEAD_LETTER_TRUNCATION_HEADERS.valueSha256)).toBe(sha256(value));
          } else {
            expect(headerOf(message, DEAD_LETTER_TRUNCATION_HEADERS.truncated)).toBeUndefined();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('encodedRecordBytes', () => {
  it('bounds the bytes kafkajs writes for a record, within 14 bytes (the widest deltas)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
        fc.option(fc.uint8Array({ maxLength: 70_000 }), { nil: null }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 300 }), {
          maxKeys: 6,
        }),
        (key, value, headers) => {
          const message: Message = {
            key: key === null ? null : Buffer.from(key),
            value: value === null ? null : Buffer.from(value),
            headers,
          };
          const written = encodeRecord({ ...message, offsetDelta: 0, timestampDelta: 0 }).buffer.length;
          const bound = encodedRecordBytes(message);
          expect(bound).toBeGreaterThanOrEqual(written);
          expect(bound).toBeLessThanOrEqual(written + 14);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('deadLetterSends', () => {
  it('splits messages in order into sends that each fit one record batch of the limit', () => {
    const sizes = [600_000, 600_000, 10, 20, 1_048_000, 300, 400_000, 400_000, 400_000];
    const messages: Message[] = sizes.map((n, i) => ({ key: String(i), value: Buffer.alloc(n) }));
    const sends = deadLetterSends(messages, 1_064_972);
    expect(sends.flat()).toEqual(messages);
    for (const send of sends) {
      const bytes = send.reduce((n, m) => n + encodedRecordBytes(m), RECORD_BATCH_OVERHEAD_BYTES);
      expect(bytes).toBeLessThanOrEqual(1_064_972);
    }
    expect(sends.map((send) => send.map((m) => m.key))).toEqual([
      ['0'],
      ['1', '2', '3'],
      ['4', '5'],
      ['6', '7'],
      ['8'],
    ]);
  });

  it('gives a message larger than the limit a send of its own', () => {
    const messages: Message[] = [{ value: 'a' }, { value: Buffer.alloc(5000) }, { value: 'b' }];
    expect(deadLetterSends(messages, 1000).map((send) => send.length)).toEqual([1, 1, 1]);
  });
});
