import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('./failpoint.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'oxbow-failpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a child that reaches `reached` (twice), with `OXBOW_FAILPOINT=armed`. */
function run(armed: string, reached: string, markerDir = dir) {
  const script = `import { failpoint } from ${JSON.stringify(MODULE)};
failpoint(${JSON.stringify(reached)}); failpoint(${JSON.stringify(reached)}); console.log('passed');`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, OXBOW_FAILPOINT: armed, OXBOW_FAILPOINT_DIR: markerDir },
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

  it('refuses an unknown name', () => {
    const child = run('after-everything', 'mid-batch');
    expect(child.status).not.toBe(0);
    expect(child.stderr).toContain('OXBOW_FAILPOINT=after-everything is not a failpoint');
  });
});
