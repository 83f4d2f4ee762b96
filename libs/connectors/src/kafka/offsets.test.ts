import { describe, expect, it } from 'vitest';
import { KafkaSourceError } from './kafka-source-error.ts';
import { compareOffsets, formatOffset, offsetRangeSize, parseOffset } from './offsets.ts';

describe('offsets', () => {
  it('parses canonical int64 strings exactly', () => {
    expect(parseOffset('0')).toBe(0n);
    expect(parseOffset('9007199254740993')).toBe(9007199254740993n);
    expect(parseOffset('9223372036854775807')).toBe(2n ** 63n - 1n);
    expect(formatOffset(9007199254740993n)).toBe('9007199254740993');
  });

  it('rejects negatives, leading zeros, non-integers and values beyond int64', () => {
    for (const bad of ['-1', '007', '1.5', '', ' 1', '9223372036854775808', 'abc']) {
      expect(() => parseOffset(bad), bad).toThrow(KafkaSourceError);
    }
    expect(() => parseOffset(-1n)).toThrow(/not a Kafka offset/);
  });

  it('compares numerically, not as text', () => {
    expect(compareOffsets('9', '10')).toBeLessThan(0);
    expect(compareOffsets('10', '10')).toBe(0);
    expect(compareOffsets('100', '99')).toBeGreaterThan(0);
  });

  it('measures a range', () => {
    expect(offsetRangeSize({ topic: 't', partition: 0, fromOffset: '5', untilOffset: '12' })).toBe(7n);
  });
});
