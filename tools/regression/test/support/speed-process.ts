/**
 * `oxbow speed` as a child process for the fault suites: started with the speed tests' environment (the
 * web-analytics example on the test's own topics, Redis prefix and lake), its output kept for failure messages,
 * its end (exit code or signal) as a promise.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CleanupList } from './cleanup-list.ts';

const NODE = fileURLToPath(new URL('../../../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../../../apps/cli/src/main.ts', import.meta.url));

/** A running `oxbow speed`. */
export interface SpeedProcess {
  readonly process: ChildProcess;
  /** Resolves with the exit code, or the signal's name, when the process ends. */
  readonly exited: Promise<number | string>;
}

/** Starts `oxbow speed` with `env` over this process's environment; its lines go to `logs` prefixed by `label`. */
export function startSpeedProcess(env: Record<string, string>, logs: string[], label: string): SpeedProcess {
  return startOxbowProcess(['speed'], env, logs, label);
}

/**
 * Starts `oxbow speed` like {@link startSpeedProcess} and registers a cleanup that SIGKILLs it should it still be
 * running when the test's `cleanups` run.
 */
export function startSpeedProcessKilledOnCleanup(
  env: Record<string, string>,
  logs: string[],
  label: string,
  cleanups: CleanupList,
): SpeedProcess {
  const speed = startSpeedProcess(env, logs, label);
  cleanups.push(() => {
    if (speed.process.exitCode === null) speed.process.kill('SIGKILL');
  });
  return speed;
}

/** Starts `oxbow <args…>` (say `serve`) like {@link startSpeedProcess}. */
export function startOxbowProcess(
  args: readonly string[],
  env: Record<string, string>,
  logs: string[],
  label: string,
): SpeedProcess {
  const child = spawn(existsSync(NODE) ? NODE : process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: child.stdout }).on('line', (line) => logs.push(`${label}: ${line}`));
  createInterface({ input: child.stderr }).on('line', (line) => logs.push(`${label} err: ${line}`));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return { process: child, exited };
}

/** Stops a child gracefully (SIGTERM) and returns how it ended; SIGKILLs it if it is still alive after `graceMs`. */
export async function stopProcess(child: ChildProcess, exited: Promise<number | string>, graceMs = 30_000) {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** `promise`, or a rejection naming `what` after `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
