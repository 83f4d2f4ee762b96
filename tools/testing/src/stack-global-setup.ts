/**
 * A vitest `globalSetup` module for integration tests that need the local stack (Kafka, Redis, S3Proxy).
 *
 * Setup: if `oxbow stack status --json` reports every service healthy, it uses the running stack and leaves it
 * alone. Otherwise it runs `oxbow stack up` and records itself as the owner in `.vitest-stack-owner` at the
 * repository root; teardown then runs `oxbow stack down`. A marker left by a crashed run (its PID gone) is
 * taken over, so that stack is stopped at the end of this run.
 *
 * @example
 * // apps/<app>/vitest.config.ts
 * export default defineProject({
 *   test: { globalSetup: ['../../tools/testing/src/stack-global-setup.ts'], hookTimeout: 120_000 },
 * });
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NODE = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../../apps/cli/src/main.ts', import.meta.url));
const OWNER_FILE = fileURLToPath(new URL('../../../.vitest-stack-owner', import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function oxbow(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(existsSync(NODE) ? NODE : process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when a previous run's marker names a process that no longer exists. */
function ownerMarkerIsOrphaned(): boolean {
  if (!existsSync(OWNER_FILE)) return false;
  const pid = Number(readFileSync(OWNER_FILE, 'utf8').trim());
  return !Number.isInteger(pid) || !processAlive(pid);
}

async function stackHealthy(): Promise<boolean> {
  const status = await oxbow(['stack', 'status', '--json']);
  try {
    const parsed = JSON.parse(status.stdout) as { services: { healthy: boolean }[] };
    return parsed.services.length > 0 && parsed.services.every((service) => service.healthy);
  } catch {
    return false;
  }
}

let owner = false;

/** Brings the stack up unless it is already healthy. */
export async function setup(): Promise<void> {
  const orphaned = ownerMarkerIsOrphaned();
  if ((await stackHealthy()) && !orphaned) return;
  const up = await oxbow(['stack', 'up']);
  if (up.code !== 0) {
    // Stop whatever part of the stack this attempt started, then report.
    await oxbow(['stack', 'down']);
    throw new Error(`oxbow stack up failed (exit ${up.code}): ${up.stderr.trim() || up.stdout.trim()}`);
  }
  owner = true;
  writeFileSync(OWNER_FILE, `${process.pid}\n`);
}

/** Brings the stack down only if this run started it. */
export async function teardown(): Promise<void> {
  if (!owner) return;
  owner = false;
  const down = await oxbow(['stack', 'down']);
  rmSync(OWNER_FILE, { force: true });
  if (down.code !== 0) throw new Error(`oxbow stack down failed (exit ${down.code}): ${down.stderr.trim()}`);
}
