/**
 * The example's schemas as contracts: every valid record parses back (timestamps as ISO-8601 or epoch ms, held
 * as epoch ms), one bad or missing field gives one reason naming it, and the stated ranges hold (bytes up to
 * 2^40, latency up to an hour, temperatures −100 to 200 °C).
 */
import { KAFKA_METADATA_COLUMNS } from '@oxbow/views';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HttpLog } from '../src/http-log-generator.ts';
import { httpLogs, sensorReadings } from '../src/schemas.ts';
import type { SensorReading } from '../src/sensor-reading-generator.ts';

const NOW = Date.UTC(2026, 10, 24, 12);
const EARLIEST = Date.UTC(2000, 0, 1);

/** An event time written as ISO-8601 (with Z) or as epoch milliseconds, and its epoch milliseconds. */
const eventTime = fc
  .tuple(fc.integer({ min: EARLIEST, max: NOW + 86_400_000 }), fc.boolean())
  .map(([ms, iso]) => ({ written: iso ? new Date(ms).toISOString() : ms, ms }));

const validHttpLog = fc.record({
  ts: eventTime,
  host: fc.domain(),
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  path: fc.webPath().map((path) => (path.startsWith('/') ? path : `/${path}`)),
  status: fc.integer({ min: 100, max: 599 }),
  bytes: fc.integer({ min: 0, max: 2 ** 40 }),
  latencyMs: fc.double({ min: 0, max: 3_600_000, noNaN: true }).map((x) => x + 0),
  userId: fc.string({ minLength: 1, maxLength: 40 }),
  country: fc.stringMatching(/^[A-Z]{2}$/),
  userAgent: fc.string({ maxLength: 200 }),
});

/** For each field, values that are not valid for it. */
const invalidHttpValues: Record<keyof HttpLog, fc.Arbitrary<unknown>> = {
  ts: fc.oneof(
    fc.constantFrom(
      'yesterday',
      '2026-11-24',
      '2026-11-24T13:00:00',
      '1999-12-31T23:59:59Z',
      '2026-11-26T00:00:01Z',
      1.5,
      EARLIEST - 1,
      NOW + 86_400_001,
    ),
    fc.integer({ max: -1 }),
    fc.constant(null),
  ),
  host: fc.oneof(fc.constant(''), fc.integer(), fc.constant(null), fc.constant('h'.repeat(256))),
  method: fc.oneof(fc.constantFrom('get', 'GE T', '', 'POST1', 'PROPFINDPROPFINDX'), fc.integer()),
  path: fc.oneof(fc.constantFrom('', 'index.html', 'http://x/', `/${'p'.repeat(2048)}`), fc.integer()),
  status: fc.oneof(
    fc.integer({ min: -1000, max: 99 }),
    fc.integer({ min: 600, max: 10_000 }),
    fc.double({ min: 100.01, max: 598.99, noNaN: true }).filter((x) => !Number.isInteger(x)),
    fc.constantFrom('200', 'abc', null, true),
  ),
  bytes: fc.oneof(
    fc.integer({ max: -1 }),
    fc.constantFrom(1.5, '10', null, 2 ** 40 + 1, Number.MAX_SAFE_INTEGER + 2),
  ),
  latencyMs: fc.oneof(
    fc.double({ max: -0.001, noNaN: true }),
    fc.double({ min: 3_600_000.001, max: 1e12, noNaN: true }),
    fc.constantFrom('12', null, false),
  ),
  userId: fc.oneof(fc.constant(''), fc.integer(), fc.constant(null)),
  country: fc.oneof(fc.constantFrom('nl', 'NLD', 'N', '', '12'), fc.integer()),
  userAgent: fc.oneof(fc.integer(), fc.constant(null), fc.constant(['Mozilla'])),
};

const validReading = fc.record({
  ts: eventTime,
  sensorId: fc.string({ minLength: 1, maxLength: 30 }),
  site: fc.string({ minLength: 1, maxLength: 30 }),
  temperature: fc.double({ min: -100, max: 200, noNaN: true }).map((x) => x + 0),
  humidity: fc.double({ min: 0, max: 100, noNaN: true }).map((x) => x + 0),
});

const invalidReadingValues: Record<keyof SensorReading, fc.Arbitrary<unknown>> = {
  ts: fc.constantFrom('2026-11-24T13:00', '1970-01-01T00:00:00Z', 0, 1.5, null),
  sensorId: fc.constantFrom('', 7, null, 's'.repeat(129)),
  site: fc.constantFrom('', false, null),
  temperature: fc.oneof(
    fc.double({ min: 200.001, max: 1e6, noNaN: true }),
    fc.double({ min: -1e6, max: -100.001, noNaN: true }),
    fc.constantFrom('21.5', null),
  ),
  humidity: fc.oneof(fc.double({ min: 100.001, max: 1e6, noNaN: true }), fc.constantFrom(-1, '50', null)),
};

/** The record written (ts as given) and the event it parses to (ts in epoch ms). */
function written<R extends { ts: { written: string | number; ms: number } }>(record: R) {
  return { record: { ...record, ts: record.ts.written }, event: { ...record, ts: record.ts.ms } };
}

describe.each([
  ['http_logs', httpLogs, validHttpLog, invalidHttpValues],
  ['sensor_readings', sensorReadings, validReading, invalidReadingValues],
] as const)('the %s schema', (_topic, schema, valid, invalid) => {
  it('parses every valid record back equal (ts in epoch ms), from a string or UTF-8 bytes', () => {
    fc.assert(
      fc.property(valid, fc.boolean(), (generated, asBytes) => {
        const { record, event } = written(generated);
        const text = JSON.stringify(record);
        const result = schema.parse(asBytes ? new TextEncoder().encode(text) : text, { now: NOW });
        expect(result).toEqual({ ok: true, event });
      }),
    );
  });

  it('gives exactly one reason, naming the field, when one field is invalid or missing', () => {
    const names = Object.keys(invalid) as Array<keyof typeof invalid>;
    fc.assert(
      fc.property(
        valid,
        fc
          .constantFrom(...names)
          .chain((name) =>
            fc.tuple(
              fc.constant(name),
              fc.option(invalid[name] as fc.Arbitrary<unknown>, { nil: undefined }),
            ),
          ),
        (generated, [name, value]) => {
          const mutated: Record<string, unknown> = { ...written(generated).record, [name]: value };
          if (value === undefined) delete mutated[name];
          const result = schema.parse(JSON.stringify(mutated), { now: NOW });
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.reasons).toHaveLength(1);
          expect(result.reasons[0]).toMatch(new RegExp(`^${String(name)}: `));
        },
      ),
    );
  });
});

describe('http_logs', () => {
  const record = {
    ts: '2026-11-24T10:00:00Z',
    host: 'www.oxbow.example',
    method: 'GET',
    path: '/',
    status: 'abc',
    bytes: 10,
    latencyMs: 1.5,
    userId: 'u1',
    country: 'NL',
    userAgent: 'curl/8',
  };

  it('says what was expected and what it got', () => {
    expect(httpLogs.parse(JSON.stringify(record), { now: NOW })).toEqual({
      ok: false,
      reasons: ['status: expected an integer from 100 to 599, got "abc"'],
    });
    const { bytes: _bytes, ...withoutBytes } = record;
    expect(
      httpLogs.parse(JSON.stringify({ ...withoutBytes, status: 200, ts: 'noon' }), { now: NOW }),
    ).toEqual({
      ok: false,
      reasons: [
        'ts: expected an ISO-8601 timestamp with a time zone, or epoch milliseconds, got "noon"',
        'bytes: missing (expected an integer from 0 to 1099511627776)',
      ],
    });
  });

  it('takes bytes up to 2^40 and latencies up to an hour', () => {
    const ok = { ...record, status: 200 };
    expect(
      httpLogs.parse(JSON.stringify({ ...ok, bytes: 2 ** 40, latencyMs: 3_600_000 }), { now: NOW }).ok,
    ).toBe(true);
    expect(
      httpLogs.parse(JSON.stringify({ ...ok, bytes: 2 ** 40 + 1, latencyMs: 3_600_000.5 }), { now: NOW }),
    ).toEqual({
      ok: false,
      reasons: [
        'bytes: expected an integer from 0 to 1099511627776, got 1099511627777',
        'latencyMs: expected a number from 0 to 3600000, got 3600000.5',
      ],
    });
  });

  it('rejects absurd event times: before 2000 or more than a day after the injected now', () => {
    const reasonsFor = (ts: string | number) => {
      const result = httpLogs.parse(JSON.stringify({ ...record, status: 200, ts }), { now: NOW });
      return result.ok ? [] : result.reasons;
    };
    expect(reasonsFor('1999-12-31T23:59:59.999Z')).toEqual([
      'ts: "1999-12-31T23:59:59.999Z" is before 2000-01-01T00:00:00.000Z',
    ]);
    expect(reasonsFor('2026-11-25T12:00:00.001Z')).toEqual([
      'ts: "2026-11-25T12:00:00.001Z" is more than 86400000 ms after now (2026-11-24T12:00:00.000Z)',
    ]);
    expect(reasonsFor('2026-11-25T12:00:00Z')).toEqual([]);
    expect(reasonsFor(NOW + 86_400_000)).toEqual([]);
  });

  it('ignores fields outside the schema and reads offsets', () => {
    const result = httpLogs.parse(
      JSON.stringify({ ...record, status: 200, ts: '2026-11-24T10:00:00+02:00', referrer: 'x' }),
      { now: NOW },
    );
    expect(result).toEqual({ ok: true, event: { ...record, status: 200, ts: Date.UTC(2026, 10, 24, 8) } });
  });

  it('archives as typed Parquet columns, ts as int64 epoch ms, keyed by user', () => {
    expect(httpLogs.lakeColumns).toEqual([
      { name: 'ts', type: 'int64' },
      { name: 'host', type: 'string' },
      { name: 'method', type: 'string' },
      { name: 'path', type: 'string' },
      { name: 'status', type: 'int32' },
      { name: 'bytes', type: 'int64' },
      { name: 'latencyMs', type: 'double' },
      { name: 'userId', type: 'string' },
      { name: 'country', type: 'string' },
      { name: 'userAgent', type: 'string' },
      ...KAFKA_METADATA_COLUMNS,
    ]);
    expect(httpLogs.messageKey).toBe('userId');
  });
});

describe('sensor_readings', () => {
  it('names the range a temperature must lie in', () => {
    const reading = { ts: '2026-11-24T10:00:00Z', sensorId: 's', site: 'x', temperature: 451, humidity: 10 };
    expect(sensorReadings.parse(JSON.stringify(reading), { now: NOW })).toEqual({
      ok: false,
      reasons: ['temperature: expected a number from -100 to 200, got 451'],
    });
  });

  it('archives as typed Parquet columns, keyed by sensor', () => {
    expect(sensorReadings.lakeColumns.map((column) => `${column.name}:${column.type}`)).toEqual([
      'ts:int64',
      'sensorId:string',
      'site:string',
      'temperature:double',
      'humidity:double',
      'kafkaPartition:int32',
      'kafkaOffset:int64',
      'appendTimeMs:int64',
    ]);
    expect(sensorReadings.messageKey).toBe('sensorId');
  });
});
