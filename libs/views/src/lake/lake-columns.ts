/**
 * The columns of the master dataset's Parquet files (docs/design/0002-layer-contracts.md, "The master dataset"):
 * a validated event's fields as typed columns, then the Kafka metadata. The archiver writes them, the batch app
 * and the benchmarks read them: one definition, as plain data (`defineParquetSchema` from @oxbow/connectors turns
 * it into a schema).
 */

/** Kafka metadata columns appended to every row. */
export const KAFKA_METADATA_COLUMNS = [
  { name: 'kafkaPartition', type: 'int32' },
  { name: 'kafkaOffset', type: 'int64' },
  { name: 'appendTimeMs', type: 'int64' },
] as const;

/** Columns of an archived `http_logs` record. */
export const HTTP_LOG_LAKE_COLUMNS = [
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
  ...KAFKA_METADATA_COLUMNS,
] as const;

/** Columns of an archived `sensor_readings` record. */
export const SENSOR_READING_LAKE_COLUMNS = [
  { name: 'ts', type: 'string' },
  { name: 'tsMs', type: 'int64' },
  { name: 'sensorId', type: 'string' },
  { name: 'site', type: 'string' },
  { name: 'temperature', type: 'double' },
  { name: 'humidity', type: 'double' },
  ...KAFKA_METADATA_COLUMNS,
] as const;
