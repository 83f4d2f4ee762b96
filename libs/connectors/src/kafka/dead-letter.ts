/**
 * The message sent to the dead-letter topic for a record that failed to deserialize: the original key and bytes,
 * the original headers, and headers naming the reason and the source position.
 */
import type { Message } from 'kafkajs';
import type { BufferedRecord } from './partition-buffer.ts';

/** Header carrying why the record was dead-lettered (the deserializer's error message). */
export const DEAD_LETTER_ERROR_HEADER = 'oxbow-error';
/** Headers carrying where the record came from. */
export const DEAD_LETTER_SOURCE_HEADERS = {
  topic: 'oxbow-source-topic',
  partition: 'oxbow-source-partition',
  offset: 'oxbow-source-offset',
  timestamp: 'oxbow-source-timestamp',
} as const;

/** The longest reason kept in the `oxbow-error` header. */
const MAX_REASON_LENGTH = 1000;

/**
 * Builds the dead-letter message for `record` of `topic`/`partition` that failed with `error`.
 *
 * @example
 * await producer.send({ topic: 'oxbow_dead_letter', messages: [deadLetterMessage('events', 0, record, error)] });
 */
export function deadLetterMessage(
  topic: string,
  partition: number,
  record: BufferedRecord,
  error: unknown,
): Message {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DEAD_LETTER_ERROR_HEADER]: reason.slice(0, MAX_REASON_LENGTH),
      [DEAD_LETTER_SOURCE_HEADERS.topic]: topic,
      [DEAD_LETTER_SOURCE_HEADERS.partition]: String(partition),
      [DEAD_LETTER_SOURCE_HEADERS.offset]: record.offset.toString(),
      [DEAD_LETTER_SOURCE_HEADERS.timestamp]: String(record.timestamp),
    },
  };
}
