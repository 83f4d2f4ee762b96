/**
 * A lake's part files copied out byte for byte into a local temporary directory, so the verifier reads exactly
 * what the store holds (a torn file would not read, a missing range shows as LESS).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FileSystem } from '@oxbow/connectors';
import { listPartFiles } from '../../../../apps/archiver/test/support/lake.ts';
import type { CleanupList } from './cleanup-list.ts';

/**
 * Copies every listed part file of `topic` in `lake` into a new temporary directory named `oxbow-<dirLabel>-…`
 * (removed by `cleanups`), at the same relative paths; returns the directory and how many files it copied.
 */
export async function copyPartFilesOut(
  lake: FileSystem,
  topic: string,
  dirLabel: string,
  cleanups: CleanupList,
): Promise<{ dir: string; files: number }> {
  const dir = mkdtempSync(join(tmpdir(), `oxbow-${dirLabel}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const files = await listPartFiles(lake, topic);
  for (const file of files) {
    const target = join(dir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, await lake.read(file.path));
  }
  return { dir, files: files.length };
}
