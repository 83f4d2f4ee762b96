/** Runs `oxbow` as a child process (the real executable) and free loopback ports for the apps it starts. */
import { spawn } from 'node:child_process';

export { freePort } from '@oxbow/testing-tools';

export const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;
const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

/** What a finished `oxbow` process did. */
export interface OxbowExit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `oxbow ARGS` in the repository root with `env` added to this process's environment; kills it (SIGKILL)
 * after `timeoutMs` and resolves with what it printed either way.
 */
export function runOxbow(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<OxbowExit & { readonly timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
