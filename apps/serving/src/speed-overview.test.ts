import { describe, expect, it } from 'vitest';
import { recentDeadLettersOf, speedOverviewOf } from './speed-overview.ts';

describe('speedOverviewOf', () => {
  it('reads the position, the counters and the records and dead letters per Kafka topic', () => {
    const overview = speedOverviewOf({
      state: 'running',
      lagMs: '120',
      lagRecords: '4',
      realtimeThrough: String(Date.parse('2026-11-24T13:00:00Z')),
      'records:http_logs': '900',
      'deadLettered:http_logs': '3',
      'records:sensor_readings': '20',
      deadLettered: '3',
      rebuilding: 'false',
      lastError: '',
    });
    expect(overview).toMatchObject({
      reported: true,
      state: 'running',
      lagMs: 120,
      lagRecords: 4,
      realtimeThrough: '2026-11-24T13:00:00.000Z',
      deadLettered: 3,
      rebuilding: false,
      lastError: null,
      topics: [
        { topic: 'http_logs', records: 900, deadLettered: 3 },
        { topic: 'sensor_readings', records: 20, deadLettered: 0 },
      ],
    });
  });

  it('is empty when the speed layer never reported', () => {
    expect(speedOverviewOf({})).toMatchObject({
      reported: false,
      lagMs: null,
      deadLettered: 0,
      topics: [],
      recentDeadLetters: [],
    });
  });

  it('lists the latest dead letters with their reasons and times, in the order the speed layer wrote them', () => {
    const at = Date.parse('2026-11-24T13:05:12Z');
    const overview = speedOverviewOf({
      state: 'running',
      deadLettered: '2',
      recentDeadLetters: JSON.stringify([
        {
          topic: 'sensor_readings',
          partition: 2,
          offset: '9007199254740993',
          reason: 'SpeedError: temperature: > 200',
          at: at + 1000,
        },
        { topic: 'http_logs', partition: 0, offset: '17', reason: 'SpeedError: <b>not JSON</b>', at },
      ]),
    });
    expect(overview.recentDeadLetters).toEqual([
      {
        topic: 'sensor_readings',
        partition: 2,
        offset: '9007199254740993',
        reason: 'SpeedError: temperature: > 200',
        at: '2026-11-24T13:05:13.000Z',
      },
      {
        topic: 'http_logs',
        partition: 0,
        offset: '17',
        reason: 'SpeedError: <b>not JSON</b>',
        at: '2026-11-24T13:05:12.000Z',
      },
    ]);
  });

  it('reads a status without recentDeadLetters (an older speed layer), or with a damaged one, as none', () => {
    expect(speedOverviewOf({ state: 'running', deadLettered: '3' }).recentDeadLetters).toEqual([]);
    expect(recentDeadLettersOf(undefined)).toEqual([]);
    expect(recentDeadLettersOf('')).toEqual([]);
    expect(recentDeadLettersOf('{not json')).toEqual([]);
    expect(recentDeadLettersOf('{"topic":"t"}')).toEqual([]);
    // Entries of the wrong shape are left out, the others kept; at most 20, reasons at most 300 characters.
    const good = { topic: 't', partition: 1, offset: '5', reason: 'r'.repeat(1000), at: 1_800_000_000_000 };
    const letters = recentDeadLettersOf(
      JSON.stringify([
        null,
        { ...good, partition: '1' },
        { ...good, offset: 5 },
        { ...good, at: 'yesterday' },
        ...Array.from({ length: 25 }, (_, i) => ({ ...good, offset: String(i) })),
      ]),
    );
    expect(letters.map((letter) => letter.offset)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(letters[0]?.reason).toHaveLength(300);
  });
});
