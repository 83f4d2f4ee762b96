/**
 * The body of an archiver file: each record's fields and Kafka columns are pushed straight into column builders
 * (no row object), every `rowGroupRows` rows the row group goes to a Parquet encoder thread, and closing the file
 * starts its footer there, so encoding overlaps with fetching and parsing the next records.
 */
import type {
  ColumnBatchBuilder,
  ColumnBuilder,
  EncodedParquetFile,
  EncodingParquetFile,
  KafkaRecord,
  ParquetCodec,
  ParquetEncoder,
} from '@oxbow/connectors';
import { ArchiverError } from './errors.ts';
import type { EventFields, EventSchema } from './event-schemas.ts';
import type { FileBody } from './partition-log.ts';

/** What the Kafka source hands out per record. */
export interface ArchivedValue {
  readonly fields: EventFields;
  /** Size of the record's value on the wire. */
  readonly bytes: number;
}

/** One record as the archiver appends it. */
export type ArchivedRecord = KafkaRecord<ArchivedValue>;

/** The Kafka columns every lake row ends with (contract 0002), in this order. */
const KAFKA_COLUMNS = ['kafkaPartition', 'kafkaOffset', 'appendTimeMs'] as const;

/** How a schema's rows are laid out in column builders: the event's fields, then the Kafka columns. */
export class ColumnLayout {
  readonly schema: EventSchema;
  /** Names of the event columns, in schema order (the builders' first columns). */
  readonly eventColumns: readonly string[];

  constructor(schema: EventSchema) {
    const names = schema.parquet.fields.map((field) => field.name);
    const tail = names.slice(-KAFKA_COLUMNS.length);
    if (tail.join() !== KAFKA_COLUMNS.join()) {
      throw new ArchiverError(
        'OXBOW_ARCHIVER_UNKNOWN_SCHEMA',
        `schema ${schema.name}: lake columns must end with ${KAFKA_COLUMNS.join(', ')} (got ${tail.join(', ')})`,
      );
    }
    this.schema = schema;
    this.eventColumns = names.slice(0, -KAFKA_COLUMNS.length);
  }

  /** Pushes one record into `builder` (one value per column) and completes the row. */
  append(builder: ColumnBatchBuilder, record: ArchivedRecord): void {
    const columns = builder.columns;
    const fields = record.value.fields;
    const events = this.eventColumns;
    const count = events.length;
    for (let i = 0; i < count; i++) (columns[i] as ColumnBuilder).push(fields[events[i] as string]);
    (columns[count] as ColumnBuilder).push(record.partition);
    const offset = record.offset;
    // Offsets below 2^53 (all of them in practice) go in as numbers; the int64 column keeps larger ones exact.
    (columns[count + 1] as ColumnBuilder).push(offset.length < 16 ? Number(offset) : BigInt(offset));
    (columns[count + 2] as ColumnBuilder).push(record.timestamp);
    builder.endRow();
  }
}

/** A file of one partition being filled: column builders for the current row group, an encoder-side file. */
export class ColumnarFileBody implements FileBody<ArchivedRecord> {
  private readonly layout: ColumnLayout;
  private readonly rowGroupRows: number;
  private readonly file: EncodingParquetFile;
  private builder: ColumnBatchBuilder | undefined;
  private encoded: Promise<EncodedParquetFile> | undefined;

  constructor(encoder: ParquetEncoder, layout: ColumnLayout, rowGroupRows: number, codec: ParquetCodec) {
    this.layout = layout;
    this.rowGroupRows = rowGroupRows;
    this.file = encoder.open(layout.schema.parquet, { codec });
    // Builders start small and grow: thousands of idle partitions cost little.
    this.builder = encoder.builder(layout.schema.parquet, Math.min(rowGroupRows, 4096));
  }

  append(record: ArchivedRecord): void {
    const builder = this.builder;
    if (!builder) throw new ArchiverError('OXBOW_ARCHIVER_LAKE', 'append to a closed archive file');
    this.layout.append(builder, record);
    if (builder.rows >= this.rowGroupRows) this.file.writeRowGroup(builder.take());
  }

  close(): void {
    const builder = this.builder;
    if (!builder) return;
    this.builder = undefined;
    if (builder.rows > 0) this.file.writeRowGroup(builder.take());
    this.encoded = this.file.finish();
    this.encoded.catch(() => {}); // awaited by the publisher; a discarded file's failure is nobody's concern
  }

  discard(): void {
    this.builder = undefined;
    if (!this.encoded) this.file.abort();
  }

  /** The finished file's bytes (after {@link close}). */
  finished(): Promise<EncodedParquetFile> {
    if (!this.encoded) throw new ArchiverError('OXBOW_ARCHIVER_LAKE', 'the archive file is not closed');
    return this.encoded;
  }
}
