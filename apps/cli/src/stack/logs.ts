import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { Clock } from '../clock.ts';
import { CliError } from '../errors.ts';

/** Options of {@link printLog}. */
export interface PrintLogOptions {
  readonly lines: number;
  readonly follow: boolean;
  readonly clock: Clock;
  readonly write: (text: string) => void;
  /** Stops following when aborted (Ctrl-C in the CLI). */
  readonly signal?: AbortSignal;
}

function readRange(path: string, start: number, end: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    readSync(fd, buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Prints the last `lines` lines of a log file and, with `follow`, everything appended after, until aborted. */
export async function printLog(path: string, options: PrintLogOptions): Promise<void> {
  if (!existsSync(path))
    throw new CliError('OXBOW_USAGE', `no log yet at ${path} (has the stack been started?)`);
  let size = statSync(path).size;
  const tailStart = Math.max(0, size - 512 * 1024);
  const tail = readRange(path, tailStart, size).split('\n');
  if (tail.at(-1) === '') tail.pop();
  const shown = tail.slice(-options.lines);
  if (shown.length) options.write(`${shown.join('\n')}\n`);
  while (options.follow && !options.signal?.aborted) {
    await options.clock.sleep(500);
    const now = existsSync(path) ? statSync(path).size : 0;
    if (now < size) size = 0;
    if (now > size) {
      options.write(readRange(path, size, now));
      size = now;
    }
  }
}
