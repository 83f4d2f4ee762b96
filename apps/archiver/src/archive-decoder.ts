/**
 * The archiver's row decoder, loaded by the Parquet encoder threads (`ParquetEncoder` `decoder` option): it loads
 * the project itself, validates each record's bytes against its topic's schema at the record's append time (as
 * the main thread would), and appends valid rows to column builders: the event's fields, then the Kafka columns.
 * Only `@oxbow/views` is imported at run time, so a thread does not load the whole connectors package.
 */
import type { ColumnBatchBuilder, ColumnBuilder, RowDecoder, RowDecoderMeta } from '@oxbow/connectors';
import { type AnyEvent, bindTopics, loadProject, type Schema } from '@oxbow/views';

/** What the encoder threads are told to load (structured-cloned). */
export interface ArchiveDecoderInit {
  /** The project file (`resolveProjectPath` of the `project` setting). */
  readonly project: string;
  /** The `archiverTopics` setting (`TOPIC` or `TOPIC:PROJECT_TOPIC`, comma-separated), or all topics. */
  readonly topics: string | undefined;
}

/** A decoded row: the validated event and its Kafka columns. */
interface ArchiveRow {
  readonly fields: Readonly<Record<string, unknown>>;
  /** The event columns of the row's topic. */
  readonly columns: readonly string[];
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
}

interface TopicDecoder {
  readonly schema: Schema<AnyEvent>;
  /** The event columns, in lake order (the Kafka columns follow them). */
  readonly columns: readonly string[];
}

/**
 * Pushes one row into a builder laid out as the lake schema: the event's fields, then `kafkaPartition`,
 * `kafkaOffset`, `appendTimeMs`.
 */
export function appendArchiveRow(
  builder: ColumnBatchBuilder,
  eventColumns: readonly string[],
  fields: Readonly<Record<string, unknown>>,
  partition: number,
  offset: number | bigint,
  appendTimeMs: number,
): void {
  const columns = builder.columns;
  const count = eventColumns.length;
  for (let i = 0; i < count; i++) (columns[i] as ColumnBuilder).push(fields[eventColumns[i] as string]);
  (columns[count] as ColumnBuilder).push(partition);
  (columns[count + 1] as ColumnBuilder).push(offset);
  (columns[count + 2] as ColumnBuilder).push(appendTimeMs);
  builder.endRow();
}

/** The `RowDecoderModule` factory: loads the project and answers for its topics. */
export async function createRowDecoder(init: ArchiveDecoderInit): Promise<RowDecoder> {
  const project = await loadProject(init.project);
  const topics = new Map<string, TopicDecoder>();
  for (const binding of bindTopics(project, init.topics)) {
    const schema = binding.schema;
    topics.set(binding.kafkaTopic, {
      schema,
      columns: schema.lakeColumns.slice(0, -3).map((column) => column.name),
    });
  }
  return {
    decode(bytes: Uint8Array, meta: RowDecoderMeta): ArchiveRow {
      const topic = topics.get(meta.topic);
      if (!topic) throw new Error(`no schema for topic ${meta.topic}`);
      // Validate against the append time, not the wall clock, so a replay decides exactly as the first read.
      const result = topic.schema.parse(bytes, { now: meta.timestamp });
      if (!result.ok) throw new Error(result.reasons.join('; ') || 'invalid event');
      return {
        fields: result.event as Readonly<Record<string, unknown>>,
        columns: topic.columns,
        partition: meta.partition,
        offset: meta.offset,
        timestamp: meta.timestamp,
      };
    },
    append(builder: ColumnBatchBuilder, row: unknown): void {
      const { fields, columns, partition, offset, timestamp } = row as ArchiveRow;
      appendArchiveRow(builder, columns, fields, partition, offset, timestamp);
    },
  };
}
