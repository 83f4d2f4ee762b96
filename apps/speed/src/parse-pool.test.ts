import { fileURLToPath } from 'node:url';
import { type RawKafkaRecord, RejectedRecord } from '@oxbow/connectors';
import { generateHttpLogs, WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { loadProject } from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARSE_CHUNK_RECORDS, ParsePool } from './parse-pool.ts';
import { eventDeserializer } from './topic-stream.ts';

const project = await loadProject(WEB_ANALYTICS_PROJECT);
const NOW = Date.UTC(2026, 10, 24, 12);
let pool: ParsePool;

beforeAll(async () => {
  pool = await ParsePool.start(fileURLToPath(project.source), 2);
}, 60_000);
afterAll(() => pool?.close());

function raw(values: ReadonlyArray<string | null>): RawKafkaRecord[] {
  return values.map((value, index) => ({
    offset: BigInt(index),
    timestamp: NOW,
    key: null,
    value: value === null ? null : Buffer.from(value),
    headers: {},
  }));
}

describe('the parse pool', () => {
  it('gives what the main thread deserializer gives, rejections with the same error, in order across chunks', async () => {
    const logs = [
      ...generateHttpLogs({ count: PARSE_CHUNK_RECORDS + 500, seed: 3, startMs: NOW - 3_600_000 }),
    ];
    const values: Array<string | null> = logs.map((log) => JSON.stringify(log));
    values[7] = '{"not": "an event"}';
    values[100] = 'not json';
    values[PARSE_CHUNK_RECORDS + 3] = null;
    values[PARSE_CHUNK_RECORDS + 9] = JSON.stringify({ ...logs[0], ts: '2099-01-01T00:00:00Z', status: 99 });
    const deserialize = eventDeserializer(project.schemaOf('http_logs'), () => NOW);
    const expected = values.map((value) => {
      try {
        return deserialize(Buffer.from(value ?? ''));
      } catch (error) {
        return error as Error;
      }
    });
    const actual = await pool.deserializeBatch('http_logs', raw(values), NOW);
    expect(actual).toHaveLength(values.length);
    actual.forEach((value, index) => {
      const wanted = expected[index];
      if (wanted instanceof Error) {
        expect(value).toBeInstanceOf(RejectedRecord);
        const error = (value as RejectedRecord).error as Error;
        expect(`${error.name}: ${error.message}`).toBe(`${wanted.name}: ${wanted.message}`);
      } else {
        expect(value).toEqual(wanted);
      }
    });
    expect(actual.filter((value) => value instanceof RejectedRecord)).toHaveLength(4);
  });

  it('fails a chunk of an unknown topic, and goes on parsing afterwards', async () => {
    await expect(pool.deserializeBatch('no_such_topic', raw(['{}']), NOW)).rejects.toThrow(
      /parse thread failed/,
    );
    const [event] = await pool.deserializeBatch(
      'sensor_readings',
      raw([JSON.stringify({ ts: NOW - 1000, sensorId: 's1', site: 'a', temperature: 20.5, humidity: 40 })]),
      NOW,
    );
    expect(event).toEqual({ ts: NOW - 1000, sensorId: 's1', site: 'a', temperature: 20.5, humidity: 40 });
  });
});
