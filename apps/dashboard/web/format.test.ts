import { describe, expect, it } from 'vitest';
import { formatDuration, formatNumber, formatParameter, formatTime, formatValue } from './format.ts';

describe('format', () => {
  it('writes numbers with separators and two decimals at most', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(45.156)).toBe('45.16');
    expect(formatNumber(null)).toBe('—');
  });

  it('writes model parameters with six significant digits', () => {
    expect(formatParameter(0.000123456789)).toBe('0.000123457');
    expect(formatParameter(-27.93456)).toBe('-27.9346');
    expect(formatParameter(1234567.8)).toBe('1,234,570');
    expect(formatParameter(Number.NaN)).toBe('—');
  });

  it('writes quantiles, other JSON, durations and times', () => {
    expect(formatValue({ p50: 1, p95: 2.5, p99: null })).toBe('1 / 2.5 / —');
    expect(formatValue([['a', 2]])).toBe('[["a",2]]');
    expect(formatDuration(420)).toBe('420 ms');
    expect(formatDuration(1530)).toBe('1.53 s');
    expect(formatTime('2026-11-24T13:00:00.000Z')).toBe('2026-11-24 13:00:00Z');
  });
});
