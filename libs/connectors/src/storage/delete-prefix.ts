/**
 * The prefix deletion shared by the hierarchical backends (`file://`, `hdfs://`): files matching the
 * prefix are deleted one by one, except that a prefix naming a directory removes that whole directory
 * in one call (so empty directories do not linger).
 */
import type { FileInfo } from './file-system.ts';

/** What {@link deletePrefixHierarchical} needs from a backend. */
export interface HierarchicalOps {
  list(prefix: string): AsyncIterable<FileInfo>;
  isDirectory(path: string): Promise<boolean>;
  deleteFile(path: string): Promise<boolean>;
  deleteDirectory(path: string): Promise<void>;
}

/** Deletes everything `list(prefix)` returns; resolves the number of files deleted. */
export async function deletePrefixHierarchical(ops: HierarchicalOps, prefix: string): Promise<number> {
  const files: FileInfo[] = [];
  for await (const file of ops.list(prefix)) files.push(file);
  const directory = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const wholeDirectory = directory !== '' && (await ops.isDirectory(directory));
  for (const file of files) {
    if (wholeDirectory && file.path.startsWith(`${directory}/`)) continue;
    await ops.deleteFile(file.path);
  }
  if (wholeDirectory) await ops.deleteDirectory(directory);
  return files.length;
}
