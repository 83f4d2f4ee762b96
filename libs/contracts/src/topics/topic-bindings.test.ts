import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../errors/contract-error.ts';
import { formatTopicBindings, parseTopicBindings } from './topic-bindings.ts';

const name = fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/);

describe('topic bindings', () => {
  it('reads TOPIC (schema = topic) and TOPIC:SCHEMA, blanks and empty entries ignored', () => {
    expect(parseTopicBindings(' http_logs , edge-logs : http_logs,,sensor_readings ')).toEqual([
      { topic: 'http_logs', schema: 'http_logs' },
      { topic: 'edge-logs', schema: 'http_logs' },
      { topic: 'sensor_readings', schema: 'sensor_readings' },
    ]);
    expect(parseTopicBindings('')).toEqual([]);
    expect(parseTopicBindings(' , ')).toEqual([]);
  });

  it('formats what it parses back', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ topic: name, schema: name }), { selector: (binding) => binding.topic }),
        (bindings) => {
          expect(parseTopicBindings(formatTopicBindings(bindings))).toEqual(bindings);
        },
      ),
    );
    expect(
      formatTopicBindings([
        { topic: 'web', schema: 'http_logs' },
        { topic: 'x', schema: 'x' },
      ]),
    ).toBe('web:http_logs,x');
  });

  it('rejects malformed entries and topics bound twice, naming the setting', () => {
    for (const bad of ['a:b:c', ':http_logs', 'web:', 'we b', 'a/b', 'é']) {
      expect(() => parseTopicBindings(bad, 'OXBOW_SPEED_TOPICS'), bad).toThrow(
        /^OXBOW_SPEED_TOPICS: bad topic ".*" \(expected TOPIC or TOPIC:SCHEMA/,
      );
    }
    expect(() => parseTopicBindings('a:http_logs,a:sensor_readings')).toThrow(
      /topics: topic a is listed twice/,
    );
    try {
      parseTopicBindings('a:b:c');
    } catch (error) {
      expect(ContractError.is(error, 'OXBOW_TOPIC_BINDING')).toBe(true);
    }
  });
});
