/** Starts the archiver fixture as a child process and follows its JSON log lines. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const NODE = fileURLToPath(new URL('../../../../node_modules/.bin/node', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/archiver-process.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../../cli/src/main.ts', import.meta.url));

/** A running archiver process. */
export interface ArchiverChild {
  readonly process: ChildProcess;
  /** Parsed JSON log lines so far. */
  readonly events: Array<Record<string, unknown>>;
  /** Non-JSON output (stderr and stray stdout), for failure messages. */
  readonly stderr: string[];
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** How many `archiver.published` lines were logged. */
  published(): number;
}

/**
 * Spawns the archiver with `env` added to this process's environment: the fixture entry (fast group timing) or,
 * with `viaCli`, `node apps/cli/src/main.ts archiver`.
 */
export function startArchiver(env: Record<string, string>, viaCli = false): ArchiverChild {
  const child = spawn(existsSync(NODE) ? NODE : process.execPath, viaCli ? [CLI, 'archiver'] : [FIXTURE], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  let published = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      if (event.event === 'archiver.published') published++;
    } catch {
      stderr.push(line);
    }
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (!line.includes('TimeoutNegativeWarning') && !line.includes('--trace-warnings')) stderr.push(line);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return { process: child, events, stderr, exited, published: () => published };
}

/** Polls `condition` every `intervalMs` until true; throws after `timeoutMs` with `describe()`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
