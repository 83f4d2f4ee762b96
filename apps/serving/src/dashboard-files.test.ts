import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDashboardFiles } from './dashboard-files.ts';

describe('readDashboardFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oxbow-dashboard-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is undefined until the bundle is built', () => {
    expect(readDashboardFiles(join(dir, 'missing'))).toBeUndefined();
  });

  it('serves index.html at / and the hashed assets as immutable', () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'void 0');
    const files = (readDashboardFiles(dir) ?? []).sort((a, b) => a.url.localeCompare(b.url));
    expect(files.map(({ url, contentType, immutable }) => ({ url, contentType, immutable }))).toEqual([
      { url: '/', contentType: 'text/html; charset=utf-8', immutable: false },
      { url: '/assets/index-abc.js', contentType: 'text/javascript; charset=utf-8', immutable: true },
    ]);
  });
});
