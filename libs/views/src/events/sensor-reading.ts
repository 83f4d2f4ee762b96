/**
 * IoT sensor readings (topic `sensor_readings`): the record on the wire and its validating parser.
 */
import { decodeJsonObject, readNumber, readString, readTimestamp } from './fields.ts';
import type { ParseOptions, ParseResult } from './parse-result.ts';

/** The Kafka topic sensor readings are produced to. */
export const SENSOR_READINGS_TOPIC = 'sensor_readings';

/** One sensor reading as produced to Kafka (one JSON object per message). */
export interface SensorReading {
  /** Event time: ISO-8601 with a time zone. */
  readonly ts: string;
  readonly sensorId: string;
  readonly site: string;
  /** Degrees Celsius, −100 to 200. */
  readonly temperature: number;
  /** Relative humidity in percent, 0 to 100. */
  readonly humidity: number;
}

/** A parsed, valid sensor reading: the record plus its event time in epoch milliseconds. */
export interface SensorReadingEvent extends SensorReading {
  readonly tsMs: number;
}

/** The accepted temperature range in °C: anything outside is a broken sensor, not weather. */
export const TEMPERATURE_RANGE = { min: -100, max: 200 } as const;

/**
 * Parses and validates one sensor reading (UTF-8 JSON bytes or a string). Every bad field gives one reason
 * naming it; fields not in the schema are ignored and not kept.
 *
 * @example
 * ```ts
 * parseSensorReading('{"ts":"2026-11-24T13:00:00Z","sensorId":"s-1","site":"delft","temperature":21.5,"humidity":40}');
 * // { ok: true, event: { …, tsMs: 1795957200000 } }
 * ```
 */
export function parseSensorReading(
  input: Uint8Array | string,
  options: ParseOptions = {},
): ParseResult<SensorReadingEvent> {
  const reasons: string[] = [];
  const record = decodeJsonObject(input, reasons);
  if (record === undefined) return { ok: false, reasons };
  const time = readTimestamp(record, options.now ?? Date.now(), reasons);
  const sensorId = readString(
    record,
    'sensorId',
    { expected: 'a non-empty string', minLength: 1, maxLength: 256 },
    reasons,
  );
  const site = readString(
    record,
    'site',
    { expected: 'a non-empty string', minLength: 1, maxLength: 256 },
    reasons,
  );
  const temperature = readNumber(
    record,
    'temperature',
    TEMPERATURE_RANGE.min,
    TEMPERATURE_RANGE.max,
    `a number of °C from ${TEMPERATURE_RANGE.min} to ${TEMPERATURE_RANGE.max}`,
    reasons,
  );
  const humidity = readNumber(record, 'humidity', 0, 100, 'a percentage from 0 to 100', reasons);
  if (
    reasons.length > 0 ||
    time === undefined ||
    sensorId === undefined ||
    site === undefined ||
    temperature === undefined ||
    humidity === undefined
  ) {
    return { ok: false, reasons };
  }
  return { ok: true, event: { ts: time.ts, sensorId, site, temperature, humidity, tsMs: time.tsMs } };
}
