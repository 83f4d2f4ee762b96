/**
 * The speed layer's latest dead letters as the page lists them: one row per record (when, where, why), and what
 * to say when there are none to list.
 */
import { formatNumber, formatTime } from './format.ts';
import type { RecentDeadLetter } from './types.ts';

/** One row of the dead-letters table, every cell as text. */
export interface DeadLetterRow {
  readonly time: string;
  readonly topic: string;
  readonly partition: string;
  readonly offset: string;
  readonly reason: string;
}

/**
 * The rows of the dead-letters table, in the API's order (newest first).
 *
 * @example
 * deadLetterRows([{ topic: 'http_logs', partition: 0, offset: '17', reason: 'SpeedError: …', at: '2026-11-24T13:05:12.000Z' }]);
 * // [{ time: '2026-11-24 13:05:12Z', topic: 'http_logs', partition: '0', offset: '17', reason: 'SpeedError: …' }]
 */
export function deadLetterRows(letters: readonly RecentDeadLetter[]): DeadLetterRow[] {
  return letters.map((letter) => ({
    time: formatTime(letter.at),
    topic: letter.topic,
    partition: String(letter.partition),
    offset: letter.offset,
    reason: letter.reason,
  }));
}

/**
 * What the panel says beside the table: where the records themselves are, or why the table is empty although
 * records were dead-lettered (`deadLettered` counts since the first commit; the list only what the running speed
 * process sent).
 */
export function deadLettersNote(deadLettered: number, listed: number): string {
  const topic = 'the dead-letter Kafka topic (OXBOW_SPEED_DEAD_LETTER_TOPIC)';
  if (listed > 0) return `the latest ${listed}, newest first; the records themselves are in ${topic}`;
  if (deadLettered === 0) return 'no record was dead-lettered';
  return `${formatNumber(deadLettered)} dead-lettered, none since the speed process started; they are in ${topic}`;
}
