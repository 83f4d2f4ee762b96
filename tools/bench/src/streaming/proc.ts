/**
 * What the streaming benchmark reads from /proc: CPU seconds and resident memory of a process, and the load
 * average of the machine (every number of the report comes with it).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds of process `pid` (default: this one) from `/proc/<pid>/stat`. */
export function cpuSecondsOfProcess(pid: number | 'self' = 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / TICKS_PER_SECOND;
}

/** Resident set size of process `pid` (default: this one) in bytes, from `/proc/<pid>/status`. */
export function rssBytesOfProcess(pid: number | 'self' = 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** The 1-minute load average, two decimals. */
export function loadAverage(): string {
  return (loadavg()[0] ?? 0).toFixed(2);
}
