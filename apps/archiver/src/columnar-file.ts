/**
 * The body of an archiver file. Either the encoder threads validated the records and hold their rows (staged per
 * partition) and the file only takes them, in order; or each record's fields and Kafka columns are pushed here
 * into column builders (no row object) and every `rowGroupRows` rows the row group goes to an encoder thread.
 * Either way closing the file starts its footer in the thread, so encoding overlaps with fetching the next records.
 */
import type {
  ColumnBatchBuilder,
  EncodedParquetFile,
  EncodingParquetFile,
  KafkaRecord,
  ParquetCodec,
  ParquetEncoder,
} from '@oxbow/connectors';
import { appendArchiveRow } from './archive-decoder.ts';
import { ArchiverError } from './errors.ts';
import type { EventFields, EventSchema } from './event-schemas.ts';
import type { FileBody } from './partition-log.ts';

/** What the Kafka source hands out per record. */
export interface ArchivedValue {
  /** The validated event; undefined when an encoder thread validated it (and holds its row). */
  readonly fields: EventFields | undefined;
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
    const fields = record.value.fields;
    if (!fields)
      throw new ArchiverError('OXBOW_ARCHIVER_LAKE', 'a record without fields (decoded elsewhere)');
    const offset = record.offset;
    // Offsets below 2^53 (all of them in practice) go in as numbers; the int64 column keeps larger ones exact.
    appendArchiveRow(
      builder,
      this.eventColumns,
      fields,
      record.partition,
      offset.length < 16 ? Number(offset) : BigInt(offset),
      record.timestamp,
    );
  }
}

/** Where a file's rows come from. */
export type FileRows =
  /** Built here from each record's fields. */
  | { readonly kind: 'local'; readonly layout: ColumnLayout }
  /** Already decoded in the encoder thread of `stream` (`topic:partition`), taken in order. */
  | { readonly kind: 'staged'; readonly stream: string };

/** A file of one partition being filled. */
export class ColumnarFileBody implements FileBody<ArchivedRecord> {
  private readonly encoder: ParquetEncoder;
  private readonly rows: FileRows;
  private readonly rowGroupRows: number;
  private readonly file: EncodingParquetFile;
  private builder: ColumnBatchBuilder | undefined;
  /** Staged rows appended since the last `take` (sent in one message). */
  private untaken = 0;
  private closed = false;
  private encoded: Promise<EncodedParquetFile> | undefined;

  constructor(
    encoder: ParquetEncoder,
    rows: FileRows,
    schema: EventSchema,
    rowGroupRows: number,
    codec: ParquetCodec,
  ) {
    this.encoder = encoder;
    this.rows = rows;
    this.rowGroupRows = rowGroupRows;
    if (rows.kind === 'local') {
      this.file = encoder.open(schema.parquet, { codec });
      // Builders start small and grow: thousands of idle partitions cost little.
      this.builder = encoder.builder(schema.parquet, Math.min(rowGroupRows, 4096));
    } else {
      this.file = encoder.open(schema.parquet, { codec, affinity: rows.stream, rowGroupRows });
    }
  }

  append(record: ArchivedRecord): void {
    if (this.closed) throw new ArchiverError('OXBOW_ARCHIVER_LAKE', 'append to a closed archive file');
    if (this.rows.kind === 'staged') {
      this.untaken++;
      return;
    }
    const builder = this.builder as ColumnBatchBuilder;
    this.rows.layout.append(builder, record);
    if (builder.rows >= this.rowGroupRows) this.file.writeRowGroup(builder.take());
  }

  /**
   * Sends the staged rows appended so far to the file, in one message. Call it after each batch's records (and
   * before another file of the partition takes rows): the thread hands rows out in the order files take them.
   */
  flush(): void {
    if (this.rows.kind !== 'staged' || this.untaken === 0 || this.closed) return;
    this.file.take(this.rows.stream, this.untaken);
    this.untaken = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    const builder = this.builder;
    this.builder = undefined;
    if (builder && builder.rows > 0) this.file.writeRowGroup(builder.take());
    this.encoded = this.file.finish();
    this.encoded.catch(() => {}); // awaited by the publisher; a discarded file's failure is nobody's concern
  }

  discard(): void {
    // Staged rows this file never took are dropped, so that the partition's next file takes the right ones.
    if (this.rows.kind === 'staged' && this.untaken > 0) this.encoder.skip(this.rows.stream, this.untaken);
    this.untaken = 0;
    this.closed = true;
    this.builder = undefined;
    if (!this.encoded) this.file.abort();
  }

  /** The finished file's bytes (after {@link close}). */
  finished(): Promise<EncodedParquetFile> {
    if (!this.encoded) throw new ArchiverError('OXBOW_ARCHIVER_LAKE', 'the archive file is not closed');
    return this.encoded;
  }
}
