import { defineSchema, f } from '@oxbow/views';
import { describe, expect, it } from 'vitest';
import { IngestError } from './errors.ts';
import { checkBody, messageKeyOf } from './records.ts';

const schema = defineSchema(
  'readings',
  { time: f.timestamp(), sensorId: f.string({ maxLength: 8 }), celsius: f.double({ min: -90, max: 90 }) },
  { eventTime: 'time', messageKey: 'sensorId' },
);
const options = { maxRecordBytes: 200, now: Date.parse('2026-11-24T12:00:00Z') };
const line = (sensorId: string, celsius: unknown) =>
  JSON.stringify({ time: '2026-11-24T11:59:00Z', sensorId, celsius });

describe('checkBody', () => {
  it('reads JSON lines: blank lines skipped, CRLF accepted, each line produced as received', () => {
    const body = `${line('a', 1)}\r\n\n  \n${line('b', 2)}\n${line('a', 3)}`;
    const checked = checkBody(schema, Buffer.from(body), 'ndjson', options);
    expect(checked.total).toBe(3);
    expect(checked.rejected).toEqual([]);
    expect(checked.messages).toEqual([
      { key: 'a', value: line('a', 1), bytes: line('a', 1).length },
      { key: 'b', value: line('b', 2), bytes: line('b', 2).length },
      { key: 'a', value: line('a', 3), bytes: line('a', 3).length },
    ]);
  });

  it('refuses bad lines with their index, line number and every reason, and keeps the others', () => {
    const body = [line('a', 1), '{"time": oops', '', line('toolongid', 999), '42', line('b', 2)].join('\n');
    const checked = checkBody(schema, Buffer.from(body), 'ndjson', options);
    expect(checked.total).toBe(5);
    expect(checked.messages.map((message) => message.key)).toEqual(['a', 'b']);
    expect(checked.rejected).toHaveLength(3);
    expect(checked.rejected[0]).toMatchObject({ index: 1, line: 2 });
    expect(checked.rejected[0]?.reasons[0]).toMatch(/^not JSON: /);
    expect(checked.rejected[1]).toMatchObject({ index: 2, line: 4 });
    expect(checked.rejected[1]?.reasons).toHaveLength(2);
    expect(checked.rejected[1]?.reasons.join(' ')).toMatch(/sensorId: .*celsius: /s);
    expect(checked.rejected[2]).toMatchObject({ index: 3, line: 5 });
  });

  it('reads a JSON array or one object; re-serializes the elements', () => {
    const records = [
      { time: 1_795_000_000_000, sensorId: 'a', celsius: 1, extra: { kept: true } },
      { time: '2026-11-24T11:00:00Z', sensorId: 'b', celsius: 'warm' },
    ];
    const checked = checkBody(schema, Buffer.from(JSON.stringify(records, null, 2)), 'json', options);
    expect(checked.messages).toEqual([
      { key: 'a', value: JSON.stringify(records[0]), bytes: JSON.stringify(records[0]).length },
    ]);
    expect(checked.rejected).toEqual([{ index: 1, reasons: [expect.stringMatching(/^celsius: /)] }]);
    const one = checkBody(schema, Buffer.from(line('c', 5)), 'json', options);
    expect(one.messages.map((message) => message.key)).toEqual(['c']);
  });

  it('refuses a JSON body that is not JSON, not an array or object, or holds no records', () => {
    const bad = (body: string, format: 'json' | 'ndjson') => () =>
      checkBody(schema, Buffer.from(body), format, options);
    expect(bad('[{"a":', 'json')).toThrow(/the body is not JSON/);
    expect(bad('"text"', 'json')).toThrow(/an array of records or one record/);
    expect(bad('[]', 'json')).toThrow(/no records/);
    expect(bad('\n \n', 'ndjson')).toThrow(IngestError);
  });

  it('refuses records longer than the limit and those whose timestamps are in the far future', () => {
    const long = JSON.stringify({
      time: '2026-11-24T11:59:00Z',
      sensorId: 'a',
      celsius: 1,
      pad: 'x'.repeat(300),
    });
    const future = line('a', 1).replace('2026-11-24T11:59:00Z', '2026-12-24T11:59:00Z');
    const checked = checkBody(schema, Buffer.from(`${long}\n${future}`), 'ndjson', options);
    expect(checked.messages).toEqual([]);
    expect(checked.rejected[0]?.reasons).toEqual([
      `the record is ${long.length} bytes of JSON; at most 200 are accepted`,
    ]);
    expect(checked.rejected[1]?.reasons[0]).toMatch(/^time: .* after now/);
  });

  it('keys by messageKey; null without one', () => {
    expect(messageKeyOf(schema, { sensorId: 7 })).toBe('7');
    expect(messageKeyOf(schema, {})).toBeNull();
    const unkeyed = defineSchema('u', { at: f.timestamp() }, { eventTime: 'at' });
    expect(messageKeyOf(unkeyed, { at: 1 })).toBeNull();
  });
});
