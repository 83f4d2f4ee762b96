import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../clock.ts';
import { isOurProcess, readProcessRecord, startDetached, stopProcess } from './processes.ts';

describe('detached processes and PID files', () => {
  it('starts a detached process, recognises it as ours and stops it with SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oxbow-proc-'));
    const pidFile = join(dir, 'sleep.pid');
    const record = startDetached(
      { command: 'sleep', args: ['30'], cwd: dir },
      join(dir, 'sleep.log'),
      pidFile,
    );
    expect(readProcessRecord(pidFile)).toEqual(record);
    expect(isOurProcess(record)).toBe(true);
    expect(await stopProcess(pidFile, 5000, systemClock)).toBe('terminated');
    expect(isOurProcess(record)).toBe(false);
    expect(readProcessRecord(pidFile)).toBeUndefined();
  });

  it('never signals a live process whose start time differs from the record (a recycled PID)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oxbow-proc-'));
    const pidFile = join(dir, 'other.pid');
    const stranger = {
      pid: process.pid,
      startTicks: 1,
      command: 'node',
      startedAt: new Date(0).toISOString(),
    };
    writeFileSync(pidFile, JSON.stringify(stranger));
    expect(isOurProcess(stranger)).toBe(false);
    expect(await stopProcess(pidFile, 1000, systemClock)).toBe('stale-pid-file');
    expect(() => readFileSync(pidFile)).toThrow();
  });

  it('reports not-running when there is no PID file', async () => {
    expect(await stopProcess(join(tmpdir(), 'oxbow-no-such.pid'), 1000, systemClock)).toBe('not-running');
  });
});
