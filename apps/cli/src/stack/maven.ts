import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from '../errors.ts';

const COMPLETE_MARKER = '.complete';
const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** What to fetch: a pom under `infra/`, Maven `-D` properties for it, and the cache directory to fill. */
export interface JarFetch {
  readonly pom: string;
  readonly properties?: Readonly<Record<string, string>>;
  readonly targetDir: string;
}

/** True when `targetDir` holds a complete earlier download. */
export function jarsPresent(targetDir: string): boolean {
  return existsSync(join(targetDir, COMPLETE_MARKER));
}

/**
 * Copies a pom's runtime dependencies from Maven Central into `targetDir` with
 * `mvn dependency:copy-dependencies`, unless a complete copy is already there. Downloads land in a
 * temporary directory first, so an interrupted fetch is never mistaken for a complete one.
 *
 * @returns true when it downloaded, false when the cache was reused.
 */
export async function fetchJars(fetch: JarFetch): Promise<boolean> {
  if (jarsPresent(fetch.targetDir)) return false;
  const staging = `${fetch.targetDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(fetch.targetDir), { recursive: true });
  const args = [
    '-q',
    '-B',
    '-f',
    fetch.pom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${staging}`,
    '-DincludeScope=runtime',
    ...Object.entries(fetch.properties ?? {}).map(([key, value]) => `-D${key}=${value}`),
  ];
  const { code, output, missing } = await run('mvn', args);
  if (missing) {
    throw new CliError(
      'OXBOW_MAVEN_MISSING',
      'Maven (mvn) not found: install it (apt-get install maven) to fetch the stack jars',
    );
  }
  if (code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    const reason =
      output
        .split('\n')
        .map((line) => line.replace(ANSI_ESCAPE, '').trim())
        .find((line) => line.startsWith('[ERROR]')) ?? `mvn exited with ${code}`;
    throw new CliError('OXBOW_FETCH_FAILED', `downloading jars for ${fetch.pom} failed: ${reason}`, {
      retriable: true,
    });
  }
  writeFileSync(join(staging, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  rmSync(fetch.targetDir, { recursive: true, force: true });
  renameSync(staging, fetch.targetDir);
  return true;
}

function run(command: string, args: string[]): Promise<{ code: number; output: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ code: -1, output: error.message, missing: error.code === 'ENOENT' }),
    );
    child.on('close', (code) => resolve({ code: code ?? -1, output, missing: false }));
  });
}
