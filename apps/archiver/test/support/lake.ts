/** Reads back what the archiver wrote: every part file's rows and every `_sealed` marker of a topic. */
import { type FileSystem, readParquetRows } from '@oxbow/connectors';
import {
  decodeSealedMarker,
  type PartFile,
  parseLakePath,
  type SealedMarker,
  topicPrefix,
} from '@oxbow/contracts';

/** One archived row as read back (int64 columns are bigints). */
export type LakeRow = Record<string, unknown> & {
  kafkaPartition: number;
  kafkaOffset: bigint;
  appendTimeMs: bigint;
};

/** The part files of `topic`, by name (no reads). */
export async function listPartFiles(
  lake: FileSystem,
  topic: string,
): Promise<Array<PartFile & { path: string }>> {
  const files: Array<PartFile & { path: string }> = [];
  for await (const info of lake.list(topicPrefix(topic))) {
    const entry = parseLakePath(info.path);
    if (entry.kind === 'part') files.push({ ...entry, path: info.path });
  }
  return files;
}

/** Every row of every part file of `topic` (file order unspecified) and every `_sealed` marker. */
export async function readLake(
  lake: FileSystem,
  topic: string,
): Promise<{ rows: LakeRow[]; files: Array<PartFile & { path: string }>; sealed: SealedMarker[] }> {
  const rows: LakeRow[] = [];
  const files: Array<PartFile & { path: string }> = [];
  const sealed: SealedMarker[] = [];
  for await (const info of lake.list(topicPrefix(topic))) {
    const entry = parseLakePath(info.path);
    if (entry.kind === 'part') {
      files.push({ ...entry, path: info.path });
    } else if (entry.kind === 'sealed') {
      sealed.push(decodeSealedMarker(await lake.read(info.path), info.path));
    }
  }
  const chunks = await Promise.all(files.map((file) => readParquetRows(lake, file.path)));
  for (const chunk of chunks) rows.push(...(chunk as LakeRow[]));
  sealed.sort((a, b) => a.epoch - b.epoch);
  return { rows, files, sealed };
}
