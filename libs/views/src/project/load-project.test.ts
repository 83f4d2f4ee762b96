import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ViewsError } from '../errors.ts';
import {
  BUNDLED_EXAMPLE_PROJECT,
  DEFAULT_PROJECT_FILE,
  loadedProject,
  loadProject,
  resolveProjectPath,
} from './load-project.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
const SHOP = fixture('shop.project.ts');

async function rejection(promise: Promise<unknown>): Promise<ViewsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ViewsError) return error;
    throw error;
  }
  throw new Error('expected the load to fail');
}

describe('loadProject', () => {
  it('imports a project module and returns its checked project, with the file as its source', async () => {
    const project = await loadProject(SHOP);
    expect(project.source).toBe(pathToFileURL(SHOP).href);
    expect(project.description).toBe('Shop orders (test fixture of @oxbow/views)');
    expect([...project.topics.keys()]).toEqual(['orders']);
    expect(project.views.map((view) => view.name)).toEqual([
      'orders_by_store_hourly',
      'express_by_channel_daily',
      'orders_by_size_5m',
    ]);
    expect(project.liveViews.map((view) => view.name)).toEqual(['orders_per_store_now']);
    expect(project.view('express_by_channel_daily')).toMatchObject({
      keyField: 'channel',
      bucketMs: 86_400_000,
    });
    expect(loadedProject(SHOP)).toBe(project);
  });

  it('imports each file once per process, however its path is written', async () => {
    const first = await loadProject(SHOP);
    expect(await loadProject(relative(process.cwd(), SHOP))).toBe(first);
    expect(loadedProject(relative(process.cwd(), SHOP))).toBe(first);
  });

  it('fails for a missing file with OXBOW_PROJECT_NOT_FOUND, the message starting with the file', async () => {
    const missing = join(tmpdir(), 'no-such-dir', 'oxbow.project.ts');
    const error = await rejection(loadProject(missing));
    expect(error.code).toBe('OXBOW_PROJECT_NOT_FOUND');
    expect(error.message).toBe(
      `${missing}: no such project file (set "project" / OXBOW_PROJECT / --project to your module)`,
    );
  });

  it('fails for a file whose defineProject throws, naming the file, the view and the reason', async () => {
    const file = fixture('unknown-topic.project.ts');
    const error = await rejection(loadProject(file));
    expect(error.code).toBe('OXBOW_INVALID_PROJECT');
    expect(error.message).toBe(
      `${file}: project: view "refunds_hourly": unknown topic "refunds" (topics: payments)`,
    );
    expect(ViewsError.is(error.cause, 'OXBOW_INVALID_PROJECT')).toBe(true);
    // A failed load is not cached as a success, and fails the same way again.
    expect((await rejection(loadProject(file))).message).toBe(error.message);
    expect(() => loadedProject(file)).toThrow(/is not loaded in this thread/);
  });

  it('fails for a module that throws while imported, or has no project as its default export', async () => {
    const throws = fixture('throws.project.mjs');
    const thrown = await rejection(loadProject(throws));
    expect(thrown.code).toBe('OXBOW_INVALID_PROJECT');
    expect(thrown.message).toBe(`${throws}: the project module failed to initialise`);
    const noDefault = fixture('no-default.project.ts');
    const notProject = await rejection(loadProject(noDefault));
    expect(notProject.message).toBe(
      `${noDefault}: the default export must be defineProject({ topics, views, live })`,
    );
  });

  it('refuses loadedProject before loadProject', () => {
    expect(() => loadedProject('/never/loaded.ts')).toThrow(
      new ViewsError('OXBOW_PROJECT_NOT_FOUND', 'project /never/loaded.ts is not loaded in this thread'),
    );
  });

  it('lets a project outside the repository import @oxbow/views and @oxbow/dataflow (plain Node)', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'oxbow-user-project-'));
    try {
      const file = join(directory, 'oxbow.project.ts');
      writeFileSync(
        file,
        [
          "import { count } from '@oxbow/dataflow';",
          "import { defineProject, defineSchema, defineView, f } from '@oxbow/views';",
          "const clicks = defineSchema('clicks', { at: f.timestamp(), page: f.string() }, { eventTime: 'at' });",
          'export default defineProject({',
          '  topics: { clicks },',
          "  views: [defineView({ name: 'clicks_hourly', topic: 'clicks', bucket: '1h', key: 'page', fields: { n: count() } })],",
          '});',
          '',
        ].join('\n'),
      );
      const entry = fileURLToPath(new URL('../index.ts', import.meta.url));
      const script = `const { loadProject } = await import(${JSON.stringify(pathToFileURL(entry).href)});
        const project = await loadProject(process.argv[1]);
        console.log(JSON.stringify(project.views.map((view) => view.name)));`;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--input-type=module', '--eval', script, file],
        { cwd: directory },
      );
      expect(JSON.parse(stdout)).toEqual(['clicks_hourly']);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('resolveProjectPath', () => {
  it('resolves the setting against the working directory, or takes it absolute or as a file URL', () => {
    expect(resolveProjectPath('my/app.project.ts', '/srv/app')).toBe('/srv/app/my/app.project.ts');
    expect(resolveProjectPath('  ../x.ts  ', '/srv/app')).toBe('/srv/x.ts');
    expect(resolveProjectPath('/etc/oxbow/p.ts', '/srv/app')).toBe('/etc/oxbow/p.ts');
    expect(resolveProjectPath('file:///etc/oxbow/p%20q.ts', '/srv/app')).toBe('/etc/oxbow/p q.ts');
  });

  it('without a setting, takes ./oxbow.project.ts when it exists, else the bundled example', () => {
    const directory = mkdtempSync(join(tmpdir(), 'oxbow-cwd-'));
    try {
      expect(resolveProjectPath(undefined, directory)).toBe(BUNDLED_EXAMPLE_PROJECT);
      expect(resolveProjectPath('   ', directory)).toBe(BUNDLED_EXAMPLE_PROJECT);
      writeFileSync(join(directory, DEFAULT_PROJECT_FILE), 'export default 1;\n');
      expect(resolveProjectPath('', directory)).toBe(join(directory, 'oxbow.project.ts'));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    expect(existsSync(BUNDLED_EXAMPLE_PROJECT)).toBe(true);
    expect(BUNDLED_EXAMPLE_PROJECT.endsWith(join('examples', 'web-analytics', 'oxbow.project.ts'))).toBe(
      true,
    );
  });
});
