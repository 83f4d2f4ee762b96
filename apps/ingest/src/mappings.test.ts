import type { SyslogRecord } from '@oxbow/connectors';
import { describe, expect, it } from 'vitest';
import {
  defaultMqttRecord,
  defaultSyslogRecord,
  mqttTopicMatches,
  parseMqttRoutes,
  routeOf,
} from './mappings.ts';

describe('MQTT routes', () => {
  it('matches topic filters as MQTT does', () => {
    expect(mqttTopicMatches('sensors/+/reading', 'sensors/7/reading')).toBe(true);
    expect(mqttTopicMatches('sensors/+/reading', 'sensors/7/8/reading')).toBe(false);
    expect(mqttTopicMatches('sensors/#', 'sensors')).toBe(true);
    expect(mqttTopicMatches('sensors/#', 'sensors/a/b')).toBe(true);
    expect(mqttTopicMatches('sensors/+', 'sensors')).toBe(false);
    expect(mqttTopicMatches('#', '$SYS/broker')).toBe(false);
    expect(mqttTopicMatches('a/b', 'a/b/c')).toBe(false);
    expect(mqttTopicMatches('+/+', '/x')).toBe(true);
  });

  it('parses FILTER:TOPIC lists and routes to the first match', () => {
    const routes = parseMqttRoutes(' sensors/+/reading:readings , plant/#:plant_events,');
    expect(routes).toEqual([
      { filter: 'sensors/+/reading', topic: 'readings' },
      { filter: 'plant/#', topic: 'plant_events' },
    ]);
    expect(routeOf(routes, 'plant/a/b')).toBe('plant_events');
    expect(routeOf(routes, 'other')).toBeUndefined();
    expect(parseMqttRoutes('')).toEqual([]);
    expect(() => parseMqttRoutes('sensors/+/reading')).toThrow(/MQTT_FILTER:TOPIC/);
    expect(() => parseMqttRoutes('a/#/b:t')).toThrow(/MQTT_FILTER:TOPIC/);
    expect(() => parseMqttRoutes('a/b+:t')).toThrow(/MQTT_FILTER:TOPIC/);
    expect(parseMqttRoutes('urn:a/b:t')).toEqual([{ filter: 'urn:a/b', topic: 't' }]);
  });
});

describe('default mappings', () => {
  const base: SyslogRecord = {
    format: 'rfc5424',
    facility: 16,
    severity: 6,
    version: 1,
    timestamp: 1_795_000_000_000,
    hostname: 'web-1',
    appName: 'nginx',
    procId: '42',
    msgId: null,
    structuredData: [],
    message: 'GET /',
    error: null,
    transport: 'udp',
    peer: '127.0.0.1:5140',
    receivedAt: 1_795_000_000_500,
  };

  it('maps syslog to a flat record with keywords', () => {
    expect(defaultSyslogRecord(base)).toEqual({
      ts: 1_795_000_000_000,
      receivedAt: 1_795_000_000_500,
      host: 'web-1',
      app: 'nginx',
      procId: '42',
      msgId: null,
      facility: 'local0',
      severity: 'info',
      message: 'GET /',
      format: 'rfc5424',
      transport: 'udp',
      peer: '127.0.0.1:5140',
    });
    const bare = defaultSyslogRecord({
      ...base,
      format: 'invalid',
      facility: null,
      severity: null,
      timestamp: null,
      hostname: null,
      peer: '::1:5140',
    });
    expect(bare).toMatchObject({ ts: 1_795_000_000_500, host: '::1', facility: null, severity: null });
  });

  it('takes an MQTT payload of one JSON object', () => {
    const message = (text: string) => ({
      topic: 't',
      payload: new TextEncoder().encode(text),
      qos: 1 as const,
      retain: false,
      duplicate: false,
      receivedAt: 0,
    });
    expect(defaultMqttRecord(message('{"a":1}'))).toEqual({ a: 1 });
    expect(() => defaultMqttRecord(message('21.5'))).toThrow(/not an object/);
    expect(() => defaultMqttRecord(message('{oops'))).toThrow(/not UTF-8 JSON/);
  });
});
