/**
 * The row schemas of the master dataset (docs/design/0002-layer-contracts.md, "The master dataset"): the
 * validated event's fields as typed columns plus the Kafka metadata, and the conversion of a row read back into
 * the event the views fold.
 */
import { defineParquetSchema, type RowOf } from '@oxbow/connectors';
import type { HttpLogEvent, SensorReadingEvent, ViewTopic } from '@oxbow/views';

const KAFKA_METADATA = [
  { name: 'kafkaPartition', type: 'int32' },
  { name: 'kafkaOffset', type: 'int64' },
  { name: 'appendTimeMs', type: 'int64' },
] as const;

/** Parquet schema of an archived `http_logs` record. */
export const HTTP_LOG_ROW_SCHEMA = defineParquetSchema([
  { name: 'ts', type: 'string' },
  { name: 'tsMs', type: 'int64' },
  { name: 'host', type: 'string' },
  { name: 'method', type: 'string' },
  { name: 'path', type: 'string' },
  { name: 'status', type: 'int32' },
  { name: 'bytes', type: 'int64' },
  { name: 'latencyMs', type: 'double' },
  { name: 'userId', type: 'string' },
  { name: 'country', type: 'string' },
  { name: 'userAgent', type: 'string' },
  ...KAFKA_METADATA,
] as const);

/** Parquet schema of an archived `sensor_readings` record. */
export const SENSOR_READING_ROW_SCHEMA = defineParquetSchema([
  { name: 'ts', type: 'string' },
  { name: 'tsMs', type: 'int64' },
  { name: 'sensorId', type: 'string' },
  { name: 'site', type: 'string' },
  { name: 'temperature', type: 'double' },
  { name: 'humidity', type: 'double' },
  ...KAFKA_METADATA,
] as const);

/** A `http_logs` row as read. */
export type HttpLogRow = RowOf<typeof HTTP_LOG_ROW_SCHEMA.fields>;
/** A `sensor_readings` row as read. */
export type SensorReadingRow = RowOf<typeof SENSOR_READING_ROW_SCHEMA.fields>;

/** The event columns of a topic (what the views read; the Kafka metadata is left out). */
export const EVENT_COLUMNS: Readonly<Record<ViewTopic, readonly string[]>> = {
  http_logs: HTTP_LOG_ROW_SCHEMA.fields.map((field) => field.name).filter((name) => !isKafkaColumn(name)),
  sensor_readings: SENSOR_READING_ROW_SCHEMA.fields
    .map((field) => field.name)
    .filter((name) => !isKafkaColumn(name)),
};

function isKafkaColumn(name: string): boolean {
  return KAFKA_METADATA.some((field) => field.name === name);
}

/** The event of an archived `http_logs` row (int64 columns back to numbers). */
export function httpLogEventOf(row: Partial<HttpLogRow>): HttpLogEvent {
  return {
    ts: row.ts ?? '',
    tsMs: Number(row.tsMs),
    host: row.host ?? '',
    method: row.method ?? '',
    path: row.path ?? '',
    status: row.status ?? 0,
    bytes: Number(row.bytes),
    latencyMs: row.latencyMs ?? 0,
    userId: row.userId ?? '',
    country: row.country ?? '',
    userAgent: row.userAgent ?? '',
  };
}

/** The event of an archived `sensor_readings` row. */
export function sensorReadingEventOf(row: Partial<SensorReadingRow>): SensorReadingEvent {
  return {
    ts: row.ts ?? '',
    tsMs: Number(row.tsMs),
    sensorId: row.sensorId ?? '',
    site: row.site ?? '',
    temperature: row.temperature ?? 0,
    humidity: row.humidity ?? 0,
  };
}
