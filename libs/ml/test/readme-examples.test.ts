/**
 * Runs every TypeScript example of README.md as written: types stripped by Node, imports of `@oxbow/ml`,
 * `@oxbow/dataflow` and `@oxbow/dataflow/testing` bound to the real modules, `console.log` captured. Each
 * `console.log(…); // → value` line must log exactly `value` (JSON). A block preceded by `<!-- not run -->` is
 * skipped.
 */
import { readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import * as dataflow from '@oxbow/dataflow';
import * as testing from '@oxbow/dataflow/testing';
import { describe, expect, it } from 'vitest';
import * as ml from '../src/index.ts';

const MODULES: Record<string, Record<string, unknown>> = {
  '@oxbow/ml': ml,
  '@oxbow/dataflow': dataflow,
  '@oxbow/dataflow/testing': testing,
};

interface Example {
  title: string;
  code: string;
  expected: unknown[];
}

/** The runnable ```ts blocks of the README, titled by their section. */
function readExamples(): Example[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const examples: Example[] = [];
  let section = 'README';
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('## ')) section = line.slice(3);
    if (line.trim() !== '```ts') continue;
    const skipped = /<!--\s*not run/.test(lines[i - 1] ?? '');
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]?.trim() !== '```'; i++) body.push(lines[i] ?? '');
    if (skipped) continue;
    const expected = body
      .map((l) => /^\s*console\.log\(.*\);\s*\/\/ → (.*)$/.exec(l)?.[1])
      .filter((e): e is string => e !== undefined)
      .map((e) => JSON.parse(e) as unknown);
    examples.push({ title: section, code: body.join('\n'), expected });
  }
  return examples;
}

/** Runs one example; returns what it logged (one value per console.log call). */
async function run(code: string): Promise<unknown[]> {
  const logged: unknown[] = [];
  const bindings: string[] = [];
  const imports = /^import\s+(type\s+)?\{([^}]*)\}\s+from\s+'([^']+)';$/gm;
  const body = code.replace(imports, (_all, typeOnly: string | undefined, names: string, from: string) => {
    const module = MODULES[from];
    if (!module) throw new Error(`the README imports ${from}, which the example runner does not provide`);
    if (typeOnly) return '';
    for (const raw of names.split(',')) {
      const name = raw.trim();
      if (name === '' || name.startsWith('type ')) continue;
      if (!(name in module)) throw new Error(`${from} has no export ${name}`);
      bindings.push(`const ${name} = __modules[${JSON.stringify(from)}][${JSON.stringify(name)}];`);
    }
    return '';
  });
  const javascript = stripTypeScriptTypes(`${bindings.join('\n')}\n${body}`);
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>;
  const example = new AsyncFunction('console', '__modules', javascript);
  await example({ log: (value: unknown) => logged.push(value) }, MODULES);
  return logged;
}

describe('README examples', () => {
  const examples = readExamples();

  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it.each(examples.map((e) => [e.title, e] as const))('%s', async (_title, example) => {
    const logged = await run(example.code);
    expect(JSON.parse(JSON.stringify(logged))).toEqual(example.expected);
  });
});
