import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ALLOWED, findViolations } from './module-boundaries.ts';

interface FakeProject {
  readonly dir: string;
  readonly name: string;
  readonly tag: string;
  readonly dependencies?: readonly string[];
  readonly source: string;
}

/** A source re-exporting `name` (built, so that the check does not read this test file as importing it). */
const reexport = (name: string) => `export * from '${name}';\n`;

describe('module boundaries', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function workspace(projects: readonly FakeProject[]): string {
    const root = mkdtempSync(join(tmpdir(), 'oxbow-boundaries-'));
    roots.push(root);
    for (const project of projects) {
      mkdirSync(join(root, project.dir, 'src'), { recursive: true });
      const dependencies = Object.fromEntries((project.dependencies ?? []).map((name) => [name, '*']));
      writeFileSync(
        join(root, project.dir, 'package.json'),
        JSON.stringify({ name: project.name, nx: { tags: [project.tag] }, dependencies }),
      );
      writeFileSync(join(root, project.dir, 'src', 'index.ts'), project.source);
    }
    return root;
  }

  it('lets every tag import the contracts, and the contracts import nothing of ours', () => {
    for (const [tag, allowed] of Object.entries(ALLOWED)) {
      if (tag !== 'type:contract') expect(allowed, tag).toContain('type:contract');
    }
    expect(ALLOWED['type:contract']).toEqual([]);
    const root = workspace([
      { dir: 'libs/contracts', name: '@oxbow/contracts', tag: 'type:contract', source: 'export {};\n' },
      {
        dir: 'libs/dataflow',
        name: '@oxbow/dataflow',
        tag: 'type:core',
        dependencies: ['@oxbow/contracts'],
        source: reexport('@oxbow/contracts'),
      },
    ]);
    expect(findViolations(root)).toEqual([]);
  });

  it('reports a contract importing a workspace library, and an undeclared import', () => {
    const root = workspace([
      {
        dir: 'libs/contracts',
        name: '@oxbow/contracts',
        tag: 'type:contract',
        dependencies: ['@oxbow/dataflow'],
        source: reexport('@oxbow/dataflow'),
      },
      {
        dir: 'libs/dataflow',
        name: '@oxbow/dataflow',
        tag: 'type:core',
        source: reexport('@oxbow/contracts'),
      },
    ]);
    expect(findViolations(root)).toEqual([
      'libs/contracts/src/index.ts: @oxbow/contracts (type:contract) may not import @oxbow/dataflow (type:core)',
      'libs/dataflow/src/index.ts: imports @oxbow/contracts without declaring it in package.json',
    ]);
  });
});
