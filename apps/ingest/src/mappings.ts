/**
 * How syslog and MQTT messages become records of a project topic: the default mappings, the MQTT routing of
 * topic filters to project topics, and the types of the mapping functions an application may give instead.
 */
import { type MqttMessage, SYSLOG_FACILITIES, SYSLOG_SEVERITIES, type SyslogRecord } from '@oxbow/connectors';
import { IngestError } from './errors.ts';

/** A record for the topic's schema, or `null`/`undefined` to leave the message out. */
export type MappedRecord = Readonly<Record<string, unknown>> | null | undefined;

/** Maps a parsed syslog message to a record of the syslog topic (see {@link defaultSyslogRecord}). */
export type SyslogMapping = (message: SyslogRecord) => MappedRecord;

/**
 * Maps an MQTT message to a record of `topic`, the project topic its filter routes to (see
 * {@link defaultMqttRecord}).
 */
export type MqttMapping = (message: MqttMessage, topic: string) => MappedRecord;

/** The host part of `address:port` (IPv6 addresses keep their colons). */
function hostOfPeer(peer: string): string {
  const separator = peer.lastIndexOf(':');
  return separator > 0 ? peer.slice(0, separator) : peer;
}

/**
 * The default syslog mapping: every parsed message as one flat record. The topic's schema keeps the fields it
 * declares (others are ignored by every layer), so a schema with any of these fields takes syslog as it is:
 *
 * | field | value |
 * | --- | --- |
 * | `ts` | the message's timestamp (epoch ms), else the reception time |
 * | `receivedAt` | when the gateway received it (epoch ms) |
 * | `host` | HOSTNAME, else the sender's address |
 * | `app`, `procId`, `msgId` | APP-NAME (the RFC 3164 TAG), PROCID (`[pid]`), MSGID; `null` when absent |
 * | `facility`, `severity` | their keywords (`local0`, `info`, …); `null` without a valid PRI |
 * | `message` | the free-form MSG (the whole text of a message that follows neither RFC) |
 * | `format` | `rfc5424`, `rfc3164` or `invalid` |
 * | `transport`, `peer` | `udp` or `tcp`, and the sender's `address:port` |
 *
 * @example
 * // defineSchema('syslog', { ts: f.timestamp(), host: f.string(), severity: f.enum(SYSLOG_SEVERITIES).optional(),
 * //   message: f.string({ maxLength: 8192 }) }, { eventTime: 'ts', messageKey: 'host' })
 */
export function defaultSyslogRecord(message: SyslogRecord): Record<string, unknown> {
  return {
    ts: message.timestamp ?? message.receivedAt,
    receivedAt: message.receivedAt,
    host: message.hostname ?? hostOfPeer(message.peer),
    app: message.appName,
    procId: message.procId,
    msgId: message.msgId,
    facility: message.facility === null ? null : (SYSLOG_FACILITIES[message.facility] ?? null),
    severity: message.severity === null ? null : (SYSLOG_SEVERITIES[message.severity] ?? null),
    message: message.message,
    format: message.format,
    transport: message.transport,
    peer: message.peer,
  };
}

/**
 * The default MQTT mapping: the payload is the record, as UTF-8 JSON of one object (what a device would POST).
 * Throws (the message is refused with the reason) when it is not.
 *
 * @example
 * defaultMqttRecord({ topic: 'sensors/7', payload: new TextEncoder().encode('{"sensorId":"7","celsius":21.5}'), … });
 * // { sensorId: '7', celsius: 21.5 }
 */
export function defaultMqttRecord(message: MqttMessage): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(message.payload));
  } catch (error) {
    throw new Error(
      `the payload is not UTF-8 JSON (${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)})`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('the payload is JSON but not an object');
  }
  return value as Record<string, unknown>;
}

/** One MQTT route: messages of `filter` go to project topic `topic`. */
export interface MqttRoute {
  /** An MQTT topic filter (`+` one level, `#` the rest). */
  readonly filter: string;
  /** The project topic. */
  readonly topic: string;
}

/**
 * Parses the `ingestMqttTopics` setting: comma-separated `MQTT_FILTER:TOPIC` (the last `:` separates the project
 * topic, whose name cannot contain one). Throws `OXBOW_INGEST_BAD_OPTIONS` for a malformed entry.
 *
 * @example
 * parseMqttRoutes('sensors/+/reading:sensor_readings, plant/#:plant_events');
 * // [{ filter: 'sensors/+/reading', topic: 'sensor_readings' }, { filter: 'plant/#', topic: 'plant_events' }]
 */
export function parseMqttRoutes(text: string): MqttRoute[] {
  const routes: MqttRoute[] = [];
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const separator = entry.lastIndexOf(':');
    const filter = entry.slice(0, separator).trim();
    const topic = entry.slice(separator + 1).trim();
    if (separator <= 0 || filter === '' || !/^[A-Za-z0-9._-]{1,249}$/.test(topic) || !validFilter(filter)) {
      throw new IngestError(
        'OXBOW_INGEST_BAD_OPTIONS',
        `ingestMqttTopics: "${entry.trim()}" is not MQTT_FILTER:TOPIC (a topic filter with + and # as whole levels, # last, then a project topic)`,
      );
    }
    routes.push({ filter, topic });
  }
  return routes;
}

function validFilter(filter: string): boolean {
  const levels = filter.split('/');
  return levels.every(
    (level, index) => (level === '#' && index === levels.length - 1) || level === '+' || !/[+#]/.test(level),
  );
}

/**
 * Whether MQTT topic `topic` matches `filter` (MQTT 3.1.1 §4.7): `+` matches one level, `#` the parent level and
 * any below; topics starting with `$` are not matched by a filter starting with a wildcard.
 *
 * @example
 * mqttTopicMatches('sensors/+/reading', 'sensors/7/reading'); // true
 * mqttTopicMatches('sensors/#', 'sensors'); // true
 */
export function mqttTopicMatches(filter: string, topic: string): boolean {
  const wanted = filter.split('/');
  const levels = topic.split('/');
  if (topic.startsWith('$') && (wanted[0] === '+' || wanted[0] === '#')) return false;
  for (let i = 0; i < wanted.length; i++) {
    const level = wanted[i];
    if (level === '#') return true;
    if (i >= levels.length) return false;
    if (level !== '+' && level !== levels[i]) return false;
  }
  return wanted.length === levels.length;
}

/** The project topic of the first route whose filter matches `mqttTopic`, if any. */
export function routeOf(routes: readonly MqttRoute[], mqttTopic: string): string | undefined {
  return routes.find((route) => mqttTopicMatches(route.filter, mqttTopic))?.topic;
}
