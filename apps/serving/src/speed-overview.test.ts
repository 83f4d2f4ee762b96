import { describe, expect, it } from 'vitest';
import { speedOverviewOf } from './speed-overview.ts';

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
    expect(speedOverviewOf({})).toMatchObject({ reported: false, lagMs: null, deadLettered: 0, topics: [] });
  });
});
