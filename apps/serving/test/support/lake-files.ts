/**
 * A lake of archived events, written the way the archiver writes it: each generated HTTP log validated by the
 * web-analytics schema, its epoch from its append time, one Parquet part file per epoch and partition, and a
 * `_sealed` marker for every epoch but the last (the open one) — so `runBatch` can publish views (and models)
 * over it and `runLakeSql` can read its topics.
 */
import { defineParquetSchema, openFileSystem, writeParquet } from '@oxbow/connectors';
import { encodeSealedMarker, epochOf, partFilePath, sealedPath } from '@oxbow/contracts';
import { generateHttpLogs, type HttpLogEvent, httpLogs } from '@oxbow/example-web-analytics';

/** One archived event, with where the archiver put it. */
export interface ArchivedEvent {
  readonly event: HttpLogEvent;
  readonly epoch: number;
  readonly partition: number;
}

/** What {@link writeHttpLogsLake} wrote. */
export interface WrittenLake {
  /** Every event, in the order produced. */
  readonly events: readonly ArchivedEvent[];
  /** The last sealed epoch (the batch layer's watermark). */
  readonly lastSealedEpoch: number;
}

/**
 * Writes `count` generated HTTP logs (seeded) to the `http_logs` topic of the lake at `lake` (a URL), over
 * `partitions` partitions and epochs of `epochMs`.
 */
export async function writeHttpLogsLake(
  lake: string,
  options: { count: number; seed: number; epochMs: number; partitions: number },
): Promise<WrittenLake> {
  const fs = openFileSystem(lake);
  const parquet = defineParquetSchema(httpLogs.lakeColumns);
  const files = new Map<string, { epoch: number; partition: number; rows: object[]; first: number }>();
  const next = new Array<number>(options.partitions).fill(0);
  const events: ArchivedEvent[] = [];
  let appendTimeMs = 0;
  const records = generateHttpLogs({
    count: options.count,
    seed: options.seed,
    startMs: Date.UTC(2026, 10, 23, 23, 58),
    ratePerSec: 10,
  });
  let index = 0;
  for (const record of records) {
    const parsed = httpLogs.parse(JSON.stringify(record), { now: Date.UTC(2030, 0, 1) });
    if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
    const event = parsed.event as HttpLogEvent;
    appendTimeMs = Math.max(appendTimeMs, httpLogs.timeOf(event));
    const epoch = epochOf(appendTimeMs, options.epochMs);
    const partition = index % options.partitions;
    index++;
    const offset = next[partition] ?? 0;
    next[partition] = offset + 1;
    const key = `${epoch}/${partition}`;
    const file = files.get(key) ?? { epoch, partition, rows: [], first: offset };
    file.rows.push({ ...event, kafkaPartition: partition, kafkaOffset: offset, appendTimeMs });
    files.set(key, file);
    events.push({ event, epoch, partition });
  }
  for (const file of files.values()) {
    const path = partFilePath({
      topic: 'http_logs',
      epoch: file.epoch,
      partition: file.partition,
      firstOffset: BigInt(file.first),
      lastOffset: BigInt(file.first + file.rows.length - 1),
    });
    // biome-ignore lint/suspicious/noExplicitAny: rows hold the schema's lake columns, known only at run time.
    await writeParquet(fs, path, parquet, file.rows as any);
  }
  const epochs = [...new Set(events.map((archived) => archived.epoch))].sort((a, b) => a - b);
  for (const epoch of epochs.slice(0, -1)) {
    const endOffsets: Record<string, string> = {};
    for (let partition = 0; partition < options.partitions; partition++) {
      endOffsets[String(partition)] = String(
        events.filter((archived) => archived.partition === partition && archived.epoch <= epoch).length,
      );
    }
    await fs.putAtomic(
      sealedPath('http_logs', epoch),
      encodeSealedMarker({
        topic: 'http_logs',
        epoch,
        epochMs: options.epochMs,
        sealedAt: '2030-01-01T00:00:00.000Z',
        endOffsets,
      }),
    );
  }
  await fs.close();
  const lastSealedEpoch = epochs.at(-2);
  if (lastSealedEpoch === undefined) throw new Error('the events span one epoch: nothing would be sealed');
  return { events, lastSealedEpoch };
}
