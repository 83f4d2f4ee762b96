import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HttpLog, parseHttpLog } from './http-log.ts';

const NOW = Date.UTC(2026, 10, 24, 12);

const validHttpLog: fc.Arbitrary<HttpLog> = fc.record({
  ts: fc
    .integer({ min: Date.UTC(2000, 0, 1), max: NOW + 86_400_000 })
    .map((ms) => new Date(ms).toISOString()),
  host: fc.domain(),
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  path: fc.webPath().map((path) => (path.startsWith('/') ? path : `/${path}`)),
  status: fc.integer({ min: 100, max: 599 }),
  bytes: fc.nat(),
  latencyMs: fc.double({ min: 0, max: 1e7, noNaN: true }),
  userId: fc.string({ minLength: 1, maxLength: 40 }),
  country: fc.stringMatching(/^[A-Z]{2}$/),
  userAgent: fc.string({ maxLength: 200 }),
});

/** For each field, values that are not valid for it. */
const invalidValues: Record<keyof HttpLog, fc.Arbitrary<unknown>> = {
  ts: fc.oneof(
    fc.constantFrom(
      'yesterday',
      '2026-11-24',
      '2026-11-24T13:00:00',
      '1999-12-31T23:59:59Z',
      '2026-11-26T00:00:01Z',
    ),
    fc.integer(),
    fc.constant(null),
  ),
  host: fc.oneof(fc.constant(''), fc.integer(), fc.constant(null)),
  method: fc.oneof(fc.constantFrom('get', 'GE T', '', 'POST1'), fc.integer()),
  path: fc.oneof(fc.constantFrom('', 'index.html', 'http://x/'), fc.integer()),
  status: fc.oneof(
    fc.integer({ min: -1000, max: 99 }),
    fc.integer({ min: 600, max: 10_000 }),
    fc.double({ min: 100.01, max: 598.99, noNaN: true }).filter((x) => !Number.isInteger(x)),
    fc.constantFrom('200', 'abc', null, true),
  ),
  bytes: fc.oneof(fc.integer({ max: -1 }), fc.constantFrom(1.5, '10', null, Number.MAX_SAFE_INTEGER + 2)),
  latencyMs: fc.oneof(fc.double({ max: -0.001, noNaN: true }), fc.constantFrom('12', null, false)),
  userId: fc.oneof(fc.constant(''), fc.integer(), fc.constant(null)),
  country: fc.oneof(fc.constantFrom('nl', 'NLD', 'N', '', '12'), fc.integer()),
  userAgent: fc.oneof(fc.integer(), fc.constant(null), fc.constant(['Mozilla'])),
};

describe('parseHttpLog', () => {
  it('parses every valid record back equal, with tsMs, from a string or UTF-8 bytes', () => {
    fc.assert(
      fc.property(validHttpLog, fc.boolean(), (record, asBytes) => {
        const text = JSON.stringify(record);
        const result = parseHttpLog(asBytes ? new TextEncoder().encode(text) : text, { now: NOW });
        expect(result).toEqual({ ok: true, event: { ...record, tsMs: Date.parse(record.ts) } });
      }),
    );
  });

  it('gives exactly one reason, naming the field, when one field is invalid or missing', () => {
    const field = fc.constantFrom(...(Object.keys(invalidValues) as Array<keyof HttpLog>));
    fc.assert(
      fc.property(
        validHttpLog,
        field.chain((name) =>
          fc.tuple(fc.constant(name), fc.option(invalidValues[name], { nil: undefined })),
        ),
        (record, [name, value]) => {
          const mutated: Record<string, unknown> = { ...record, [name]: value };
          if (value === undefined) delete mutated[name];
          const result = parseHttpLog(JSON.stringify(mutated), { now: NOW });
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.reasons).toHaveLength(1);
          expect(result.reasons[0]).toMatch(new RegExp(`^${name}: `));
        },
      ),
    );
  });

  it('says what was expected and what it got', () => {
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
    expect(parseHttpLog(JSON.stringify(record), { now: NOW })).toEqual({
      ok: false,
      reasons: ['status: expected an integer 100–599, got "abc"'],
    });
    const { bytes: _bytes, ...withoutBytes } = record;
    expect(parseHttpLog(JSON.stringify({ ...withoutBytes, status: 200, ts: 'noon' }), { now: NOW })).toEqual({
      ok: false,
      reasons: [
        'ts: not an ISO-8601 timestamp with a time zone, got "noon"',
        'bytes: missing (expected a non-negative integer)',
      ],
    });
  });

  it('rejects absurd event times: before 2000 or more than a day after the injected now', () => {
    const base = {
      host: 'h',
      method: 'GET',
      path: '/',
      status: 200,
      bytes: 1,
      latencyMs: 1,
      userId: 'u',
      country: 'NL',
      userAgent: '',
    };
    const reasonsFor = (ts: string) => {
      const result = parseHttpLog(JSON.stringify({ ...base, ts }), { now: NOW });
      return result.ok ? [] : result.reasons;
    };
    expect(reasonsFor('1999-12-31T23:59:59.999Z')).toEqual([
      'ts: 1999-12-31T23:59:59.999Z is before 2000-01-01T00:00:00Z',
    ]);
    expect(reasonsFor('2026-11-25T12:00:00.001Z')).toEqual([
      'ts: 2026-11-25T12:00:00.001Z is more than a day after now (2026-11-24T12:00:00.000Z)',
    ]);
    expect(reasonsFor('2026-11-25T12:00:00Z')).toEqual([]);
  });

  it('rejects what is not one JSON object, and ignores fields outside the schema', () => {
    expect(parseHttpLog('{"ts":')).toMatchObject({
      ok: false,
      reasons: [expect.stringMatching(/^record: not JSON/)],
    });
    expect(parseHttpLog('[1,2]')).toEqual({
      ok: false,
      reasons: ['record: expected a JSON object, got [1,2]'],
    });
    expect(parseHttpLog(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      reasons: ['record: not valid UTF-8'],
    });
    const record = {
      ts: '2026-11-24T10:00:00+02:00',
      host: 'h',
      method: 'GET',
      path: '/a',
      status: 200,
      bytes: 0,
      latencyMs: 0,
      userId: 'u',
      country: 'NL',
      userAgent: '',
    };
    const result = parseHttpLog(JSON.stringify({ ...record, referrer: 'x' }), { now: NOW });
    expect(result).toEqual({ ok: true, event: { ...record, tsMs: Date.UTC(2026, 10, 24, 8) } });
  });
});
