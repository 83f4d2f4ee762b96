import { describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_NOTE_REASON_LENGTH,
  type DeadLetterNote,
  newestDeadLetters,
  RecentDeadLetters,
  shortReason,
} from './recent-dead-letters.ts';

function note(offset: number, at: number, extra: Partial<DeadLetterNote> = {}): DeadLetterNote {
  return {
    topic: 'events',
    partition: 0,
    offset: String(offset),
    reason: `bad record ${offset}`,
    at,
    ...extra,
  };
}

describe('RecentDeadLetters', () => {
  it('returns what it holds, the most recently added first', () => {
    const recent = new RecentDeadLetters(5);
    expect(recent.newestFirst()).toEqual([]);
    for (const offset of [10, 11, 12]) recent.add(note(offset, 1000 + offset));
    expect(recent.size).toBe(3);
    expect(recent.newestFirst().map((n) => n.offset)).toEqual(['12', '11', '10']);
  });

  it('keeps only the last `capacity` notes as it wraps around, again and again', () => {
    const recent = new RecentDeadLetters(4);
    for (let offset = 0; offset < 11; offset++) {
      recent.add(note(offset, offset));
      const expected = [];
      for (let o = offset; o >= 0 && o > offset - 4; o--) expected.push(String(o));
      expect(recent.newestFirst().map((n) => n.offset)).toEqual(expected);
    }
    expect(recent.size).toBe(4);
  });

  it('orders by when notes were added, not by their time (a clock may step back)', () => {
    const recent = new RecentDeadLetters(3);
    recent.add(note(1, 5000));
    recent.add(note(2, 4000));
    expect(recent.newestFirst().map((n) => n.offset)).toEqual(['2', '1']);
  });

  it('hands out a copy', () => {
    const recent = new RecentDeadLetters(2);
    recent.add(note(1, 1));
    const shown = recent.newestFirst();
    shown.pop();
    expect(recent.newestFirst()).toHaveLength(1);
  });

  it('cuts long reasons and keeps short ones whole', () => {
    const recent = new RecentDeadLetters(2);
    recent.add(note(1, 1, { reason: 'x'.repeat(5000) }));
    recent.add(note(2, 2, { reason: 'SpeedError: status: expected an integer' }));
    const [short, long] = recent.newestFirst();
    expect(short?.reason).toBe('SpeedError: status: expected an integer');
    expect(long?.reason).toHaveLength(DEAD_LETTER_NOTE_REASON_LENGTH);
    expect(long?.reason.endsWith('…')).toBe(true);
  });

  it('refuses a capacity below one', () => {
    expect(() => new RecentDeadLetters(0)).toThrow(RangeError);
    expect(() => new RecentDeadLetters(1.5)).toThrow(RangeError);
  });
});

describe('shortReason', () => {
  it('leaves a reason of exactly the limit alone and never splits a surrogate pair', () => {
    const exact = 'r'.repeat(DEAD_LETTER_NOTE_REASON_LENGTH);
    expect(shortReason(exact)).toBe(exact);
    // '😀' is two UTF-16 units; place one across the cut.
    const emoji = `${'a'.repeat(DEAD_LETTER_NOTE_REASON_LENGTH - 3)}😀${'b'.repeat(10)}`;
    const cut = shortReason(emoji);
    expect(cut.length).toBeLessThanOrEqual(DEAD_LETTER_NOTE_REASON_LENGTH);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.isWellFormed()).toBe(true);
  });
});

describe('newestDeadLetters', () => {
  it('merges lists newest first by time, up to the limit', () => {
    const http = [note(3, 300, { topic: 'http' }), note(1, 100, { topic: 'http' })];
    const sensors = [note(9, 250, { topic: 'sensors' }), note(8, 50, { topic: 'sensors' })];
    expect(newestDeadLetters([http, sensors], 3).map((n) => `${n.topic}@${n.offset}`)).toEqual([
      'http@3',
      'sensors@9',
      'http@1',
    ]);
    expect(newestDeadLetters([], 3)).toEqual([]);
  });

  it('lists a record once, at its newest note', () => {
    const before = [note(5, 100)];
    const now = [note(5, 200), note(4, 150)];
    const merged = newestDeadLetters([before, now]);
    expect(merged.map((n) => [n.offset, n.at])).toEqual([
      ['5', 200],
      ['4', 150],
    ]);
    // The same offset of another partition is another record.
    expect(newestDeadLetters([[note(5, 1)], [note(5, 2, { partition: 1 })]])).toHaveLength(2);
  });
});
