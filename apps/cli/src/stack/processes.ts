import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../clock.ts';
import type { LaunchCommand } from './service.ts';

/** What a PID file records: enough to tell our process from a later one that reused its PID. */
export interface ProcessRecord {
  readonly pid: number;
  /** Start time of the process in clock ticks since boot (`/proc/PID/stat` field 22), when known. */
  readonly startTicks: number | null;
  readonly command: string;
  readonly startedAt: string;
}

interface ProcStat {
  readonly state: string;
  readonly startTicks: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readProcStat(pid);
  return stat === undefined || (stat.state !== 'Z' && stat.state !== 'X');
}

/**
 * Starts a detached process (its own session, outliving the CLI) with stdout and stderr appended to
 * `logFile`, and records it in `pidFile`.
 */
export function startDetached(launch: LaunchCommand, logFile: string, pidFile: string): ProcessRecord {
  mkdirSync(dirname(logFile), { recursive: true });
  const logFd = openSync(logFile, 'a');
  try {
    const child = spawn(launch.command, [...launch.args], {
      cwd: launch.cwd,
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, ...launch.env },
    });
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${launch.command}`);
    const record: ProcessRecord = {
      pid: child.pid,
      startTicks: readProcStat(child.pid)?.startTicks ?? null,
      command: [launch.command, ...launch.args].join(' '),
      startedAt: new Date().toISOString(),
    };
    writeFileSync(pidFile, `${JSON.stringify(record, null, 2)}\n`);
    return record;
  } finally {
    closeSync(logFd);
  }
}

/** Reads a PID file; undefined when missing or unreadable. */
export function readProcessRecord(pidFile: string): ProcessRecord | undefined {
  if (!existsSync(pidFile)) return undefined;
  try {
    const record = JSON.parse(readFileSync(pidFile, 'utf8')) as ProcessRecord;
    return Number.isInteger(record.pid) && record.pid > 0 ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when the recorded process is still running and is the very process we started: same PID and, where
 * `/proc` exists, the same start time (a recycled PID has a different one).
 */
export function isOurProcess(record: ProcessRecord): boolean {
  if (!isAlive(record.pid)) return false;
  if (record.startTicks === null) return true;
  const stat = readProcStat(record.pid);
  return stat === undefined || stat.startTicks === record.startTicks;
}

/** The outcome of {@link stopProcess}. */
export type StopOutcome = 'not-running' | 'stale-pid-file' | 'terminated' | 'killed';

/**
 * Stops the process recorded in `pidFile` if it is still ours: SIGTERM, then SIGKILL after `graceMs`.
 * Removes the PID file. Never signals a process it did not start.
 */
export async function stopProcess(pidFile: string, graceMs: number, clock: Clock): Promise<StopOutcome> {
  const record = readProcessRecord(pidFile);
  if (!record) return 'not-running';
  if (!isOurProcess(record)) {
    rmSync(pidFile, { force: true });
    return 'stale-pid-file';
  }
  process.kill(record.pid, 'SIGTERM');
  const deadline = clock.now() + graceMs;
  while (clock.now() < deadline) {
    if (!isOurProcess(record)) {
      rmSync(pidFile, { force: true });
      return 'terminated';
    }
    await clock.sleep(100);
  }
  if (isOurProcess(record)) process.kill(record.pid, 'SIGKILL');
  while (isOurProcess(record)) await clock.sleep(50);
  rmSync(pidFile, { force: true });
  return 'killed';
}
