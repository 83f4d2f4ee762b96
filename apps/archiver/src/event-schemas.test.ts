import { describe, expect, it } from 'vitest';
import { ArchiverError } from './errors.ts';
import { parseTopicSpecs } from './event-schemas.ts';

describe('parseTopicSpecs', () => {
  it('takes TOPIC (schema = topic name) and TOPIC:SCHEMA', () => {
    expect(
      parseTopicSpecs(' http_logs , edge-logs:http_logs,sensor_readings').map((s) => [
        s.topic,
        s.schema.name,
      ]),
    ).toEqual([
      ['http_logs', 'http_logs'],
      ['edge-logs', 'http_logs'],
      ['sensor_readings', 'sensor_readings'],
    ]);
  });

  it('rejects unknown schemas, duplicates and empty lists with one clear line', () => {
    expect(() => parseTopicSpecs('clicks')).toThrow(/unknown schema "clicks".*TOPIC:SCHEMA/);
    expect(() => parseTopicSpecs('http_logs,http_logs')).toThrow(/listed twice/);
    expect(() => parseTopicSpecs(' , ')).toThrow(ArchiverError);
    expect(() => parseTopicSpecs('a:b:c')).toThrow(/OXBOW_ARCHIVER_TOPICS: bad topic "a:b:c"/);
  });

  it('validates with the views parser and keeps the typed fields', () => {
    const [spec] = parseTopicSpecs('sensor_readings');
    const ok = spec?.schema.parse(
      new TextEncoder().encode(
        '{"ts":"2026-11-24T13:00:00Z","sensorId":"s-1","site":"delft","temperature":21.5,"humidity":40}',
      ),
      Date.UTC(2026, 10, 24, 14),
    );
    expect(ok).toMatchObject({ ok: true, event: { sensorId: 's-1', tsMs: Date.UTC(2026, 10, 24, 13) } });
    const bad = spec?.schema.parse(
      new TextEncoder().encode('{"ts":"2026-11-24T13:00:00Z"}'),
      Date.UTC(2026, 10, 24, 14),
    );
    expect(bad?.ok).toBe(false);
  });
});
