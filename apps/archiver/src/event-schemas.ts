/**
 * The event schemas the archiver knows: how to validate a record of each (with @oxbow/views) and the Parquet
 * row schema of the master dataset (the event's fields, then `kafkaPartition`, `kafkaOffset`, `appendTimeMs`).
 */
import { defineParquetSchema, type ParquetSchema } from '@oxbow/connectors';
import { parseTopicBindings } from '@oxbow/contracts';
import {
  HTTP_LOG_LAKE_COLUMNS,
  HTTP_LOGS_TOPIC,
  type ParseResult,
  parseHttpLog,
  parseSensorReading,
  SENSOR_READING_LAKE_COLUMNS,
  SENSOR_READINGS_TOPIC,
} from '@oxbow/views';
import { ArchiverError } from './errors.ts';

/** Parquet schema of `http_logs` rows (contract 0002). */
export const HTTP_LOGS_PARQUET = defineParquetSchema(HTTP_LOG_LAKE_COLUMNS);

/** Parquet schema of `sensor_readings` rows (contract 0002). */
export const SENSOR_READINGS_PARQUET = defineParquetSchema(SENSOR_READING_LAKE_COLUMNS);

/** A validated event as a plain row (its fields; the Kafka columns are added by the archiver). */
export type EventFields = Readonly<Record<string, string | number>>;

/** One event schema: its name, validator and Parquet schema. */
export interface EventSchema {
  readonly name: string;
  readonly parquet: ParquetSchema;
  /** Validates UTF-8 JSON bytes; `nowMs` bounds how far in the future an event time may be. */
  parse(bytes: Uint8Array, nowMs: number): ParseResult<EventFields>;
}

/** The schemas by name. */
export const EVENT_SCHEMAS: Readonly<Record<string, EventSchema>> = {
  [HTTP_LOGS_TOPIC]: {
    name: HTTP_LOGS_TOPIC,
    parquet: HTTP_LOGS_PARQUET,
    parse: (bytes, now) => parseHttpLog(bytes, { now }) as ParseResult<EventFields>,
  },
  [SENSOR_READINGS_TOPIC]: {
    name: SENSOR_READINGS_TOPIC,
    parquet: SENSOR_READINGS_PARQUET,
    parse: (bytes, now) => parseSensorReading(bytes, { now }) as ParseResult<EventFields>,
  },
};

/** A topic to archive and the schema of its records. */
export interface TopicSpec {
  readonly topic: string;
  readonly schema: EventSchema;
}

/**
 * Reads `OXBOW_ARCHIVER_TOPICS` (comma-separated `TOPIC` or `TOPIC:SCHEMA`, the schema defaulting to the topic
 * name; parsed by `parseTopicBindings` of `@oxbow/contracts`, which throws `OXBOW_TOPIC_BINDING` on a malformed
 * entry or a topic listed twice) and resolves each schema.
 *
 * @example
 * parseTopicSpecs('http_logs,edge_logs:http_logs'); // two topics, both with the http_logs schema
 */
export function parseTopicSpecs(text: string): TopicSpec[] {
  const specs = parseTopicBindings(text, 'OXBOW_ARCHIVER_TOPICS').map(
    ({ topic, schema: name }): TopicSpec => {
      const schema = EVENT_SCHEMAS[name];
      if (!schema) {
        throw new ArchiverError(
          'OXBOW_ARCHIVER_UNKNOWN_SCHEMA',
          `topic ${topic}: unknown schema "${name}" (known: ${Object.keys(EVENT_SCHEMAS).join(', ')}); write TOPIC:SCHEMA`,
        );
      }
      return { topic, schema };
    },
  );
  if (specs.length === 0) throw new ArchiverError('OXBOW_ARCHIVER_BAD_OPTIONS', 'no topics to archive');
  return specs;
}
