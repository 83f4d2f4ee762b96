/**
 * `oxbow start` fails fast: an app that cannot start (a deliberately broken setting) is reported by name with its
 * reason, the apps already started are stopped, and the process exits 1 instead of running on without it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runId } from '../src/demo/round-trip.ts';
import { freePort, runOxbow } from './support/processes.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Settings of a `start` that shares nothing with other runs: its own prefix, groups, lake and ports. */
async function isolated(label: string): Promise<Record<string, string>> {
  const id = `${label}-${runId()}`;
  const dir = mkdtempSync(join(tmpdir(), `oxbow-start-${label}-`));
  dirs.push(dir);
  return {
    OXBOW_REDIS_PREFIX: `test-start-${id}:`,
    OXBOW_LAKE: `${pathToFileURL(join(dir, 'lake')).href}/`,
    OXBOW_SERVING_CACHE_DIR: join(dir, 'serving-cache'),
    OXBOW_ARCHIVER_GROUP_ID: `test-start-${id}-archiver`,
    OXBOW_SPEED_GROUP_ID: `test-start-${id}-speed`,
    OXBOW_API_PORT: String(await freePort()),
    OXBOW_SPEED_HEALTH_PORT: '0',
    OXBOW_ARCHIVER_HEALTH_PORT: '0',
    OXBOW_EPOCH_MS: '60000',
  };
}

describe('oxbow start', { timeout: 240_000 }, () => {
  it('exits 1 naming the archiver when it cannot start (OXBOW_ARCHIVER_VALIDATION=bogus)', async () => {
    const result = await runOxbow(
      ['start'],
      { ...(await isolated('archiver')), OXBOW_ARCHIVER_VALIDATION: 'bogus' },
      100_000,
    );
    expect(result.timedOut, result.stdout + result.stderr).toBe(false);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(
      /start: archiver failed: OXBOW_ARCHIVER_VALIDATION must be main or encoder/,
    );
    expect(result.stdout).toContain('start: stopping the apps it started');
    expect(result.stdout).not.toContain('producing');
  });

  it('exits 1 naming the speed layer when it cannot start (its health port taken), and stops the archiver', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      const result = await runOxbow(
        ['start'],
        { ...(await isolated('speed')), OXBOW_SPEED_HEALTH_PORT: String(port) },
        100_000,
      );
      expect(result.timedOut, result.stdout + result.stderr).toBe(false);
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stdout).toMatch(/start: speed layer failed: .*EADDRINUSE/);
      expect(result.stdout).not.toContain('serving API at');
      expect(result.stdout).not.toContain('producing');
    } finally {
      taken.close();
    }
  });
});
