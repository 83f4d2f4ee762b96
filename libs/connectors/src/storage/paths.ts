/**
 * Validation and small helpers for the relative, `/`-separated paths every FileSystem takes.
 */
import { randomBytes } from 'node:crypto';
import { ConnectorError } from '../errors.ts';

/** Returns `path` if it is a clean relative file path, otherwise throws `OXBOW_STORAGE_BAD_PATH`. */
export function checkPath(path: string): string {
  if (path === '' || path.startsWith('/') || path.endsWith('/')) {
    throw new ConnectorError('OXBOW_STORAGE_BAD_PATH', `not a relative file path: "${path}"`);
  }
  checkSegments(path);
  return path;
}

/** Returns `prefix` if it is a clean relative prefix (may be empty or end with `/`), else throws. */
export function checkPrefix(prefix: string): string {
  if (prefix.startsWith('/')) {
    throw new ConnectorError('OXBOW_STORAGE_BAD_PATH', `prefix must be relative: "${prefix}"`);
  }
  const body = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (body !== '') checkSegments(body);
  return prefix;
}

function checkSegments(path: string): void {
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\0')) {
      throw new ConnectorError('OXBOW_STORAGE_BAD_PATH', `bad segment "${segment}" in path "${path}"`);
    }
  }
}

/** The directory part of a path (`a/b/c.txt` → `a/b`, `c.txt` → ``). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The deepest directory every path matching `prefix` lives under (`a/b/pa` → `a/b`, `a/b/` → `a/b`). */
export function listingRootOf(prefix: string): string {
  return parentOf(prefix);
}

/** `a` and `b` joined by one `/`, either side may be empty. */
export function joinPath(a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  return `${a}/${b}`;
}

/** A hidden temporary sibling of `path` (`a/.b.parquet.oxbow-tmp-1f2e…`), ignored by dataset readers. */
export function temporarySiblingOf(path: string): string {
  const parent = parentOf(path);
  const name = path.slice(parent === '' ? 0 : parent.length + 1);
  return joinPath(parent, `.${name}.oxbow-tmp-${randomBytes(6).toString('hex')}`);
}
