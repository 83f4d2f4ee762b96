/**
 * CPU time and memory of a process, read from Linux's /proc: what the archiver benchmark reports per event.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** One reading of a process's counters. */
export interface ProcSample {
  /** User + system CPU time since the process started (ms). */
  readonly cpuMs: number;
  /** Resident set size now (bytes). */
  readonly rssBytes: number;
  /** Peak resident set size since the process started (`VmHWM`, bytes). */
  readonly peakRssBytes: number;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * Reads `/proc/<pid>/stat` (utime + stime) and `/proc/<pid>/status` (VmRSS, VmHWM); `pid` defaults to this process.
 *
 * @example
 * const before = procSample(child.pid); … const cpuPerEvent = (procSample(child.pid).cpuMs - before.cpuMs) / events;
 */
export function procSample(pid: number | 'self' = 'self'): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") "; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return {
    cpuMs: (ticks * 1000) / clockTicks(),
    rssBytes: kib('VmRSS') * 1024,
    peakRssBytes: kib('VmHWM') * 1024,
  };
}

/** User + system CPU time (ms) of the process's main thread (the task whose id is the process id). */
export function mainThreadCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
}

/** How many threads the process has (`/proc/<pid>/task`). */
export function threadCount(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).length;
}

/** The 1-minute load average, to print beside every number measured on a shared machine. */
export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
