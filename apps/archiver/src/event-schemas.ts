/**
 * The topics the archiver archives and their schemas, from the user's project: how to validate a record of each
 * and the Parquet row schema of the master dataset (the schema's fields, then `kafkaPartition`, `kafkaOffset`,
 * `appendTimeMs`).
 */
import { defineParquetSchema, type ParquetSchema } from '@oxbow/connectors';
import { type AnyEvent, bindTopics, type ParseResult, type Project, type Schema } from '@oxbow/views';

/** A validated event as a plain row (its fields; the Kafka columns are added by the archiver). */
export type EventFields = Readonly<Record<string, unknown>>;

/** One event schema as the archiver uses it: its name, validator and Parquet schema. */
export interface EventSchema {
  readonly name: string;
  readonly parquet: ParquetSchema;
  /** Validates UTF-8 JSON bytes; `nowMs` bounds how far in the future an event time may be. */
  parse(bytes: Uint8Array, nowMs: number): ParseResult<EventFields>;
}

/** A Kafka topic to archive (also its lake directory) and the schema of its records. */
export interface TopicSpec {
  readonly topic: string;
  readonly schema: EventSchema;
}

/** The archiver's view of a project schema. */
export function eventSchemaOf(schema: Schema<AnyEvent>): EventSchema {
  return {
    name: schema.name,
    parquet: defineParquetSchema(schema.lakeColumns),
    parse: (bytes, now) => schema.parse(bytes, { now }),
  };
}

/**
 * The topics to archive: every topic of `project`, or those `setting` lists (`TOPIC` or `TOPIC:PROJECT_TOPIC`,
 * the `archiverTopics` setting).
 *
 * @example
 * ```ts
 * archiverTopicsOf(project, 'edge_logs:http_logs'); // archive Kafka topic edge_logs with the http_logs schema
 * ```
 */
export function archiverTopicsOf(project: Project, setting: string | undefined): TopicSpec[] {
  return bindTopics(project, setting).map((binding) => ({
    topic: binding.kafkaTopic,
    schema: eventSchemaOf(binding.schema),
  }));
}
