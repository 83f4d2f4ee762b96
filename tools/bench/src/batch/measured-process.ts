/**
 * Every engine of the batch benchmark runs in a process of its own. The child prints one result line
 * (`OXBOW_BENCH_RESULT {…}`) the moment its measured work is done, with its own CPU time and peak resident memory
 * read from Linux's /proc (`/proc/self/stat` utime + stime, `/proc/self/status` VmHWM) and its wall clock; the
 * parent takes the wall time from spawning the process to that moment (so start-up — Node, the JVM — counts, and
 * whatever the child does afterwards, such as digesting its outputs for the cross-check, does not).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { procSample } from '../archiver/proc-stats.ts';

const PINNED_NODE = fileURLToPath(new URL('../../../../node_modules/.bin/node', import.meta.url));
/** The project's pinned Node (the `node` devDependency), else this one: what the Node children run on. */
export const NODE = existsSync(PINNED_NODE) ? PINNED_NODE : process.execPath;

/** The prefix of a child's result line. */
export const RESULT_PREFIX = 'OXBOW_BENCH_RESULT ';

/** The prefix of a child's second line: what it computed, read back after the measured work. */
export const TABLES_PREFIX = 'OXBOW_BENCH_TABLES ';

/** What every child reports about itself, at the end of its measured work. */
export interface ProcessFigures {
  /** `Date.now()` when the measured work ended. */
  readonly endedAtMs: number;
  /** User + system CPU time of the whole process (every thread) until then. */
  readonly cpuMs: number;
  /** Peak resident set size until then (VmHWM). */
  readonly peakRssBytes: number;
}

/** A measured child: wall, CPU and memory, and what it reported. */
export interface MeasuredRun<T> {
  /** From spawning the process until it reported the end of its work. */
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly result: T;
  /** Everything the child printed on stdout. */
  readonly stdout: string;
}

/**
 * The result line of a child: `payload` with this process's figures now. Call it when the measured work is done.
 *
 * @example
 * ```ts
 * console.log(resultLine({ views }));
 * ```
 */
export function resultLine(payload: object): string {
  const sample = procSample('self');
  const figures: ProcessFigures = {
    endedAtMs: Date.now(),
    cpuMs: sample.cpuMs,
    peakRssBytes: sample.peakRssBytes,
  };
  return `${RESULT_PREFIX}${JSON.stringify({ ...payload, ...figures })}`;
}

/**
 * Runs `command` to its end and returns its figures and its result line's payload; rejects with the tail of its
 * output when it fails or prints no result line.
 *
 * @example
 * ```ts
 * const run = await runMeasured<{ views: unknown[] }>(process.execPath, ['child.ts']);
 * run.wallSeconds; run.cpuSeconds; run.peakRssBytes;
 * ```
 */
export function runMeasured<T>(
  command: string,
  args: readonly string[],
  options: { readonly env?: Record<string, string>; readonly timeoutMs?: number } = {},
): Promise<MeasuredRun<T>> {
  return new Promise((resolvePromise, reject) => {
    const spawnedAtMs = Date.now();
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.length > 1_000_000) stderr = stderr.slice(-100_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30 * 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = () => `${stdout}\n${stderr}`.slice(-4000);
      if (code !== 0) {
        reject(new Error(`${command} ${args[0] ?? ''} exited with ${code ?? signal}:\n${tail()}`));
        return;
      }
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_PREFIX));
      if (line === undefined) {
        reject(new Error(`${command} ${args[0] ?? ''} printed no result line:\n${tail()}`));
        return;
      }
      const result = JSON.parse(line.slice(RESULT_PREFIX.length)) as T & ProcessFigures;
      resolvePromise({
        wallSeconds: (result.endedAtMs - spawnedAtMs) / 1000,
        cpuSeconds: result.cpuMs / 1000,
        peakRssBytes: result.peakRssBytes,
        result,
        stdout,
      });
    });
  });
}

/** The payload of the child's `OXBOW_BENCH_TABLES` line in `stdout`. */
export function tablesOf<T>(stdout: string, who: string): T {
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(TABLES_PREFIX));
  if (line === undefined) throw new Error(`${who} printed no ${TABLES_PREFIX.trim()} line`);
  return JSON.parse(line.slice(TABLES_PREFIX.length)) as T;
}
