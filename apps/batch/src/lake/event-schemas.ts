/**
 * The row schemas of the master dataset (docs/design/0002-layer-contracts.md, "The master dataset"): the
 * validated event's fields as typed columns plus the Kafka metadata, and the conversion of a row read back into
 * the event the views fold.
 */
import { defineParquetSchema, type RowOf } from '@oxbow/connectors';
import {
  HTTP_LOG_LAKE_COLUMNS,
  type HttpLogEvent,
  KAFKA_METADATA_COLUMNS,
  SENSOR_READING_LAKE_COLUMNS,
  type SensorReadingEvent,
  type ViewTopic,
} from '@oxbow/views';

/** Parquet schema of an archived `http_logs` record. */
export const HTTP_LOG_ROW_SCHEMA = defineParquetSchema(HTTP_LOG_LAKE_COLUMNS);

/** Parquet schema of an archived `sensor_readings` record. */
export const SENSOR_READING_ROW_SCHEMA = defineParquetSchema(SENSOR_READING_LAKE_COLUMNS);

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
  return KAFKA_METADATA_COLUMNS.some((field) => field.name === name);
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
