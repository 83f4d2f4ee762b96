/** Reads a published batch-view version back: the manifest and the rows of the DuckDB tables. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FileSystem } from '@oxbow/connectors';
import type { BatchManifest } from '@oxbow/contracts';

/** A row of a published view table; BIGINTs as numbers and the state as hex. */
export type PublishedRow = Record<string, string | number | null> & {
  key: string;
  bucket: number;
  state: string;
};

/** Every table of the version's DuckDB file, by view name, rows ordered by key and bucket. */
export async function readPublishedTables(
  fs: FileSystem,
  manifest: BatchManifest,
): Promise<Map<string, PublishedRow[]>> {
  const dir = await mkdtemp(join(tmpdir(), 'oxbow-batch-read-'));
  const file = join(dir, 'views.duckdb');
  await writeFile(file, await fs.read(manifest.duckdb));
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const tables = new Map<string, PublishedRow[]>();
    for (const view of manifest.views) {
      const reader = await connection.runAndReadAll(`SELECT * FROM "${view.name}" ORDER BY key, bucket`);
      tables.set(
        view.name,
        reader.getRowObjectsJS().map((row) => {
          const converted: Record<string, string | number | null> = {};
          for (const [name, value] of Object.entries(row)) {
            converted[name] =
              typeof value === 'bigint'
                ? Number(value)
                : value instanceof Uint8Array
                  ? Buffer.from(value).toString('hex')
                  : (value as string | number | null);
          }
          return converted as PublishedRow;
        }),
      );
    }
    return tables;
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads the current manifest as JSON. */
export async function readManifestFile(
  fs: FileSystem,
  path = 'views/_manifest.json',
): Promise<BatchManifest> {
  return JSON.parse(new TextDecoder().decode(await fs.read(path))) as BatchManifest;
}
