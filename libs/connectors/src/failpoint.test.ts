import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('./failpoint.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'oxbow-failpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a child that reaches `reached` (twice), with `OXBOW_FAILPOINT=armed`. */
function run(armed: string, reached: string, markerDir = dir, extraEnv: Record<string, string> = {}) {
  const script = `import { failpoint } from ${JSON.stringify(MODULE)};
failpoint(${JSON.stringify(reached)}); failpoint(${JSON.stringify(reached)}); console.log('passed');`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, OXBOW_FAILPOINT: armed, OXBOW_FAILPOINT_DIR: markerDir, ...extraEnv },
    encoding: 'utf8',
  });
}

describe('failpoint', () => {
  it('kills the process at the armed point once across restarts, and nowhere else', () => {
    expect(run('after-offset', 'mid-batch').stdout).toContain('passed');
    const first = run('after-offset', 'after-offset');
    expect(first.signal).toBe('SIGKILL');
    expect(first.stdout).not.toContain('passed');
    expect(first.stderr).toContain('failpoint after-offset: SIGKILL');
    expect(existsSync(join(dir, 'after-offset.fired'))).toBe(true);
    const restarted = run('after-offset', 'after-offset');
    expect(restarted.status).toBe(0);
    expect(restarted.stdout).toContain('passed');
  });

  it('with OXBOW_FAILPOINT_SIGNAL=SIGSTOP freezes the process there, and it goes on after SIGCONT', async () => {
    const script = `import { failpoint } from ${JSON.stringify(MODULE)};
failpoint('mid-batch'); console.log('resumed');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, OXBOW_FAILPOINT: 'mid-batch', OXBOW_FAILPOINT_SIGNAL: 'SIGSTOP' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    while (!output.includes('failpoint mid-batch: SIGSTOP')) await sleep(20);
    // Frozen: stopped state in /proc, and nothing printed after the point.
    while (readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(' ')[2] !== 'T') await sleep(20);
    expect(output).not.toContain('resumed');
    child.kill('SIGCONT');
    expect(await exited).toBe(0);
    expect(output).toContain('resumed');
  });

  it('refuses an unknown signal', () => {
    const child = run('mid-batch', 'mid-batch', dir, { OXBOW_FAILPOINT_SIGNAL: 'SIGTERM' });
    expect(child.status).not.toBe(0);
    expect(child.stderr).toContain('OXBOW_FAILPOINT_SIGNAL=SIGTERM is not SIGKILL or SIGSTOP');
  });

  it('refuses an unknown name', () => {
    const child = run('after-everything', 'mid-batch');
    expect(child.status).not.toBe(0);
    expect(child.stderr).toContain('OXBOW_FAILPOINT=after-everything is not a failpoint');
  });
});
