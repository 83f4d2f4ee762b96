import { describe, expect, it } from 'vitest';
import { deadLetterRows, deadLettersNote } from './dead-letters.ts';

describe('dead letters', () => {
  it('writes one row per dead letter, in the given order, the reason as it is', () => {
    const rows = deadLetterRows([
      {
        topic: 'sensor_readings',
        partition: 2,
        offset: '9007199254740993',
        reason: 'b',
        at: '2026-11-24T13:05:13.000Z',
      },
      {
        topic: 'http_logs',
        partition: 0,
        offset: '17',
        reason: '<img src=x onerror=alert(1)>',
        at: '2026-11-24T13:05:12.000Z',
      },
    ]);
    expect(rows).toEqual([
      {
        time: '2026-11-24 13:05:13Z',
        topic: 'sensor_readings',
        partition: '2',
        offset: '9007199254740993',
        reason: 'b',
      },
      {
        time: '2026-11-24 13:05:12Z',
        topic: 'http_logs',
        partition: '0',
        offset: '17',
        reason: '<img src=x onerror=alert(1)>',
      },
    ]);
    expect(deadLetterRows([])).toEqual([]);
  });

  it('says where the records are, or why none are listed', () => {
    expect(deadLettersNote(0, 0)).toBe('no record was dead-lettered');
    expect(deadLettersNote(1234, 0)).toMatch(/^1,234 dead-lettered, none since the speed process started/);
    expect(deadLettersNote(7, 2)).toMatch(/^the latest 2, newest first; .* dead-letter Kafka topic/);
  });
});
