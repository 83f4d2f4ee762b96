import { describe, expect, it } from 'vitest';
import { TopicProgress } from './topic-progress.ts';

describe('TopicProgress', () => {
  it('resumes after the highest lastOffset and finds the first offset of a later epoch', () => {
    const progress = new TopicProgress('t');
    progress.recordPublished(0, 5, 0n, 9n);
    progress.recordPublished(0, 6, 20n, 29n);
    progress.recordPublished(0, 5, 10n, 15n);
    expect(progress.nextOffset(0)).toBe(30n);
    expect(progress.nextOffset(1)).toBe(0n);
    expect(progress.firstOffsetAfter(0, 5)).toBe(20n);
    expect(progress.firstOffsetAfter(0, 6)).toBeUndefined();
    expect(progress.nextEpochToSeal()).toBe(5);
    progress.recordSealed(5);
    progress.prune();
    expect(progress.nextEpochToSeal()).toBe(6);
    expect(progress.firstOffsetAfter(0, 5)).toBe(20n);
  });

  it('merges another scan without going backwards', () => {
    const mine = new TopicProgress('t');
    mine.recordPublished(0, 7, 30n, 39n);
    const scanned = new TopicProgress('t');
    scanned.recordPublished(0, 6, 0n, 29n);
    scanned.recordPublished(1, 6, 0n, 4n);
    scanned.recordSealed(5);
    mine.merge(scanned);
    expect(mine.nextOffset(0)).toBe(40n);
    expect(mine.nextOffset(1)).toBe(5n);
    expect(mine.firstOffsetAfter(0, 6)).toBe(30n);
    expect(mine.nextEpochToSeal()).toBe(6);
  });
});
