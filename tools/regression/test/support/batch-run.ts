/**
 * `oxbow batch run --json` as a child process for the fault suites and the golden fixtures' writer: its summary
 * (the JSON line on stdout) and its exit code; its log lines, but the per-step progress, go to `logs`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const NODE = fileURLToPath(new URL('../../../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../../../apps/cli/src/main.ts', import.meta.url));

/** The parts of a run's summary the suites read. */
export interface BatchRunOutcome {
  /** The exit code (or signal name). */
  readonly exit: number | string;
  /** `published`, `nothing-to-do`, …; undefined when the run printed no summary (it failed). */
  readonly status?: string;
  readonly manifest?: {
    readonly runId: string;
    readonly duckdb: string;
    readonly watermarkEpoch: number;
    readonly endOffsets: Readonly<Record<string, Readonly<Record<string, string>>>>;
    readonly views: ReadonlyArray<{ readonly name: string; readonly parquet: string }>;
  };
}

/** Runs one batch with `env` over this process's environment, to its end. */
export async function runBatchCli(env: Record<string, string>, logs: string[]): Promise<BatchRunOutcome> {
  const child = spawn(existsSync(NODE) ? NODE : process.execPath, [CLI, 'batch', 'run', '--json'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() !== '' && !line.includes('"event":"progress"')) logs.push(`batch: ${line}`);
    }
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  const json = stdout.split('\n').find((line) => line.startsWith('{'));
  const summary = json === undefined ? {} : (JSON.parse(json) as Omit<BatchRunOutcome, 'exit'>);
  return { exit: code ?? signal ?? -1, ...summary };
}
