/**
 * The latest dead letters of a source, kept in memory for people to look at (the speed layer's status, the
 * dashboard): where each record came from, why it was refused and when. A fixed-size ring: the oldest note goes
 * when a new one comes and the ring is full. The records themselves stay in the dead-letter topic.
 */
import type { Offset } from './offsets.ts';

/** One dead-lettered record as {@link RecentDeadLetters} remembers it. */
export interface DeadLetterNote {
  readonly topic: string;
  readonly partition: number;
  /** The record's exact offset, a canonical decimal string. */
  readonly offset: Offset;
  /** The reason in the dead letter's `oxbow-error` header, cut to {@link DEAD_LETTER_NOTE_REASON_LENGTH} characters. */
  readonly reason: string;
  /** When the record was dead-lettered, milliseconds since the epoch. */
  readonly at: number;
}

/** How many dead letters a source remembers by default. */
export const RECENT_DEAD_LETTERS = 20;

/** The longest reason a {@link DeadLetterNote} keeps (characters; a longer one ends with `…`). */
export const DEAD_LETTER_NOTE_REASON_LENGTH = 300;

/**
 * `reason` cut to at most {@link DEAD_LETTER_NOTE_REASON_LENGTH} characters (the last one `…` when cut), without
 * splitting a surrogate pair.
 *
 * @example
 * shortReason('SpeedError: status: expected an integer'); // unchanged
 */
export function shortReason(reason: string): string {
  if (reason.length <= DEAD_LETTER_NOTE_REASON_LENGTH) return reason;
  let end = DEAD_LETTER_NOTE_REASON_LENGTH - 1;
  const last = reason.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return `${reason.slice(0, end)}…`;
}

/**
 * A ring of the last `capacity` dead letters.
 *
 * @example
 * const recent = new RecentDeadLetters(20);
 * recent.add({ topic: 'events', partition: 0, offset: '17', reason: 'SpeedError: not JSON', at: Date.now() });
 * recent.newestFirst(); // [{ topic: 'events', …, offset: '17', … }]
 */
export class RecentDeadLetters {
  readonly capacity: number;
  readonly #ring: DeadLetterNote[] = [];
  /** Where the next note goes once the ring is full (the oldest note's slot). */
  #next = 0;

  constructor(capacity: number = RECENT_DEAD_LETTERS) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`a ring of recent dead letters needs a capacity ≥ 1, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  /** Remembers `note` (its reason cut by {@link shortReason}), forgetting the oldest one when full. */
  add(note: DeadLetterNote): void {
    const kept: DeadLetterNote = { ...note, reason: shortReason(note.reason) };
    if (this.#ring.length < this.capacity) {
      this.#ring.push(kept);
      return;
    }
    this.#ring[this.#next] = kept;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** How many notes the ring holds (at most `capacity`). */
  get size(): number {
    return this.#ring.length;
  }

  /** The notes, the most recently added first (a copy). */
  newestFirst(): DeadLetterNote[] {
    const oldestFirst = [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
    return oldestFirst.reverse();
  }
}

/**
 * The newest `limit` notes of several lists (the recent dead letters of several sources, or of a source and what
 * was shown before), newest first by `at`; a record (topic, partition, offset) appears once, at its newest note.
 * Notes with the same `at` keep the order of the lists and of each list.
 *
 * @example
 * newestDeadLetters([http.metrics().recentDeadLetters, sensors.metrics().recentDeadLetters], 20);
 */
export function newestDeadLetters(
  lists: Iterable<readonly DeadLetterNote[]>,
  limit: number = RECENT_DEAD_LETTERS,
): DeadLetterNote[] {
  const all = [...lists].flat();
  // Array.prototype.sort is stable: equal times keep their order.
  all.sort((a, b) => b.at - a.at);
  const seen = new Set<string>();
  const newest: DeadLetterNote[] = [];
  for (const note of all) {
    if (newest.length >= limit) break;
    const record = `${note.topic}\u0000${note.partition}\u0000${note.offset}`;
    if (seen.has(record)) continue;
    seen.add(record);
    newest.push(note);
  }
  return newest;
}
