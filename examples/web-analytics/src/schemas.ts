/**
 * The example's event schemas: HTTP access logs (topic `http_logs`) and IoT sensor readings (topic
 * `sensor_readings`). Each definition is the whole contract of its topic: parser, lake columns, JSON Schema.
 */
import { defineSchema, type EventOf, f } from '@oxbow/views';

/** HTTP access logs: one JSON object per request. */
export const httpLogs = defineSchema(
  'http_logs',
  {
    /** Event time: ISO-8601 with a time zone (or epoch milliseconds). */
    ts: f.timestamp(),
    host: f.string({ minLength: 1, maxLength: 255 }),
    /** Upper-case HTTP method token: `GET`, `POST`, … */
    method: f.string({ minLength: 1, maxLength: 16, pattern: /^[A-Z]+$/ }),
    /** Request path, starting with `/`. */
    path: f.string({ minLength: 1, maxLength: 2048, pattern: /^\// }),
    status: f.int({ min: 100, max: 599 }),
    /** Response size: up to 1 TiB. */
    bytes: f.int({ min: 0, max: 2 ** 40 }),
    /** Time to serve the request: up to an hour. */
    latencyMs: f.double({ min: 0, max: 3_600_000 }),
    userId: f.string({ minLength: 1, maxLength: 256 }),
    /** ISO 3166-1 alpha-2 country code, upper case. */
    country: f.string({ minLength: 2, maxLength: 2, pattern: /^[A-Z]{2}$/ }),
    userAgent: f.string({ maxLength: 1024 }),
  },
  { eventTime: 'ts', messageKey: 'userId', description: 'HTTP access logs, one per request' },
);

/** A parsed HTTP access log (`ts` in epoch milliseconds). */
export type HttpLogEvent = EventOf<typeof httpLogs>;

/** The plausible range of a sensor temperature in °C. */
export const TEMPERATURE_RANGE = { min: -100, max: 200 } as const;

/** IoT sensor readings. */
export const sensorReadings = defineSchema(
  'sensor_readings',
  {
    ts: f.timestamp(),
    sensorId: f.string({ minLength: 1, maxLength: 128 }),
    site: f.string({ minLength: 1, maxLength: 128 }),
    /** Temperature in °C. */
    temperature: f.double(TEMPERATURE_RANGE),
    /** Relative humidity in %. */
    humidity: f.double({ min: 0, max: 100 }),
  },
  { eventTime: 'ts', messageKey: 'sensorId', description: 'IoT sensor readings of temperature and humidity' },
);

/** A parsed sensor reading (`ts` in epoch milliseconds). */
export type SensorReadingEvent = EventOf<typeof sensorReadings>;
