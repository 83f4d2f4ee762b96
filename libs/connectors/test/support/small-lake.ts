/**
 * A small lake in the contract's layout for the lake-SQL tests: two epochs of a `clicks` topic (the first written
 * before the optional `country` field existed), a renamed Kafka topic `orders_eu` archived as project topic
 * `orders`, stray files the layout ignores, and a published batch version (a DuckDB file with one view table and
 * the manifest), on any FileSystem.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  type BatchManifest,
  encodeManifest,
  encodeSealedMarker,
  MANIFEST_PATH,
  partFilePath,
  sealedPath,
} from '@oxbow/contracts';
import { defineParquetSchema } from '../../src/parquet/schema.ts';
import { writeParquet } from '../../src/parquet/writer.ts';
import type { LakeSqlColumn, LakeSqlProject } from '../../src/sql/lake-sql.ts';
import type { FileSystem } from '../../src/storage/file-system.ts';

const KAFKA_COLUMNS: readonly LakeSqlColumn[] = [
  { name: 'kafkaPartition', type: 'int32' },
  { name: 'kafkaOffset', type: 'int64' },
  { name: 'appendTimeMs', type: 'int64' },
];

/** The project: `clicks` (with `device`, a field no file has yet), `orders`, and `quiet` (never written). */
export const SMALL_PROJECT: LakeSqlProject = {
  topics: new Map([
    [
      'clicks',
      {
        lakeColumns: [
          { name: 'user', type: 'string' },
          { name: 'ms', type: 'int64' },
          { name: 'country', type: 'string', optional: true },
          { name: 'device', type: 'string', optional: true },
          ...KAFKA_COLUMNS,
        ],
      },
    ],
    [
      'orders',
      { lakeColumns: [{ name: 'user', type: 'string' }, { name: 'cents', type: 'int32' }, ...KAFKA_COLUMNS] },
    ],
    [
      'quiet',
      { lakeColumns: [{ name: 'flag', type: 'boolean' }, { name: 'x', type: 'double' }, ...KAFKA_COLUMNS] },
    ],
  ]),
};

/** The bindings: `orders` is archived from Kafka topic `orders_eu`. */
export const SMALL_BINDINGS = [
  { kafkaTopic: 'clicks', topic: 'clicks' },
  { kafkaTopic: 'orders_eu', topic: 'orders' },
  { kafkaTopic: 'quiet', topic: 'quiet' },
] as const;

/** One archived click. */
export interface Click {
  readonly user: string;
  readonly ms: number;
  readonly country: string | null;
  readonly epoch: number;
}

/** What {@link writeSmallLake} wrote. */
export interface SmallLake {
  readonly clicks: readonly Click[];
  readonly orders: ReadonlyArray<{ readonly user: string; readonly cents: number }>;
  readonly manifest: BatchManifest | undefined;
}

const USERS = ['ann', 'bob', 'cy', 'dee'];

/** Writes the lake into `fs` (its root), with the batch version unless `withBatch` is false. */
export async function writeSmallLake(fs: FileSystem, withBatch = true): Promise<SmallLake> {
  const clicks: Click[] = [];
  const oldSchema = defineParquetSchema([
    { name: 'user', type: 'string' },
    { name: 'ms', type: 'int64' },
    { name: 'kafkaPartition', type: 'int32' },
    { name: 'kafkaOffset', type: 'int64' },
    { name: 'appendTimeMs', type: 'int64' },
  ] as const);
  const newSchema = defineParquetSchema([
    { name: 'user', type: 'string' },
    { name: 'ms', type: 'int64' },
    { name: 'country', type: 'string', optional: true },
    { name: 'kafkaPartition', type: 'int32' },
    { name: 'kafkaOffset', type: 'int64' },
    { name: 'appendTimeMs', type: 'int64' },
  ] as const);
  let offset = 0;
  for (const [epoch, partition, count] of [
    [1, 0, 40],
    [1, 1, 25],
    [2, 0, 30],
  ] as const) {
    const first = offset;
    const rows = Array.from({ length: count }, (_, index) => {
      const user = USERS[(index * 7 + epoch) % USERS.length] ?? 'ann';
      const ms = (index * 37 + epoch * 11) % 500;
      const country = epoch === 1 ? null : index % 3 === 0 ? null : index % 2 === 0 ? 'NL' : 'FR';
      clicks.push({ user, ms, country, epoch });
      return {
        user,
        ms,
        country,
        kafkaPartition: partition,
        kafkaOffset: offset++,
        appendTimeMs: epoch * 60_000 + index,
      };
    });
    const path = partFilePath({
      topic: 'clicks',
      epoch,
      partition,
      firstOffset: BigInt(first),
      lastOffset: BigInt(offset - 1),
    });
    if (epoch === 1) await writeParquet(fs, path, oldSchema, rows);
    else await writeParquet(fs, path, newSchema, rows);
  }
  await fs.putAtomic(
    sealedPath('clicks', 1),
    encodeSealedMarker({
      topic: 'clicks',
      epoch: 1,
      epochMs: 60_000,
      sealedAt: '2026-01-01T00:00:00.000Z',
      endOffsets: { '0': '40', '1': '65' },
    }),
  );
  // Files the layout does not count: a temporary file, a stray name, an unrelated topic's prefix.
  await fs.putAtomic('events/clicks/epoch=2/.part-0-99-99.parquet.oxbow-tmp-1', new Uint8Array([1]));
  await fs.putAtomic('events/clicks/epoch=2/notes.txt', new TextEncoder().encode('not data'));
  const ordersSchema = defineParquetSchema([
    { name: 'user', type: 'string' },
    { name: 'cents', type: 'int32' },
    { name: 'kafkaPartition', type: 'int32' },
    { name: 'kafkaOffset', type: 'int64' },
    { name: 'appendTimeMs', type: 'int64' },
  ] as const);
  const orders = USERS.map((user, index) => ({ user, cents: 100 * (index + 1) }));
  await writeParquet(
    fs,
    partFilePath({ topic: 'orders_eu', epoch: 2, partition: 0, firstOffset: 0n, lastOffset: 3n }),
    ordersSchema,
    orders.map((order, index) => ({
      ...order,
      kafkaPartition: 0,
      kafkaOffset: index,
      appendTimeMs: 120_000,
    })),
  );
  // Records of a Kafka topic archived under its own name that the bindings do not bind to `orders`.
  await writeParquet(
    fs,
    partFilePath({ topic: 'orders', epoch: 2, partition: 0, firstOffset: 0n, lastOffset: 0n }),
    ordersSchema,
    [{ user: 'zed', cents: 1, kafkaPartition: 0, kafkaOffset: 0, appendTimeMs: 120_000 }],
  );
  const manifest = withBatch ? await writeBatchVersion(fs, clicks) : undefined;
  return { clicks, orders, manifest };
}

/** A batch version: table `clicks_by_user (key, bucket, state, n, total_ms)` of epoch 1, and its manifest. */
async function writeBatchVersion(fs: FileSystem, clicks: readonly Click[]): Promise<BatchManifest> {
  const runId = '20260101T000000000Z-0badcafe';
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-small-lake-'));
  try {
    const file = join(dir, 'views.duckdb');
    const instance = await DuckDBInstance.create(file);
    const connection = await instance.connect();
    await connection.run(
      'CREATE TABLE clicks_by_user (key VARCHAR NOT NULL, bucket BIGINT NOT NULL, state BLOB NOT NULL, n BIGINT, total_ms DOUBLE, PRIMARY KEY (key, bucket))',
    );
    const perUser = new Map<string, { n: number; total: number }>();
    for (const click of clicks.filter((c) => c.epoch === 1)) {
      const seen = perUser.get(click.user) ?? { n: 0, total: 0 };
      perUser.set(click.user, { n: seen.n + 1, total: seen.total + click.ms });
    }
    for (const [user, { n, total }] of perUser) {
      await connection.run(`INSERT INTO clicks_by_user VALUES ('${user}', 0, '\\x00'::BLOB, ${n}, ${total})`);
    }
    connection.closeSync();
    instance.closeSync();
    await fs.putAtomic(`views/v=${runId}/views.duckdb`, await readFile(file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const manifest: BatchManifest = {
    format: 'oxbow-batch-manifest',
    version: 1,
    runId,
    epochMs: 60_000,
    watermarkEpoch: 1,
    endOffsets: { clicks: { '0': '40', '1': '65' } },
    views: [{ name: 'clicks_by_user', rows: 4, parquet: `views/v=${runId}/clicks_by_user.parquet` }],
    duckdb: `views/v=${runId}/views.duckdb`,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationsMs: { read: 1, compute: 1, write: 1 },
  };
  await fs.putAtomic(MANIFEST_PATH, encodeManifest(manifest));
  return manifest;
}
