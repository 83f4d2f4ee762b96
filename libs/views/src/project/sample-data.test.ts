import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineSchema } from '../schema/define-schema.ts';
import { f } from '../schema/field-types.ts';
import { defineProject, type Project } from './define-project.ts';
import { loadProject } from './load-project.ts';
import { generatorOf, sampleJsonLines, writeSampleData } from './sample-data.ts';

const SHOP = new URL('../../test/fixtures/shop.project.ts', import.meta.url).pathname;
const START_MS = Date.UTC(2026, 10, 24, 22);
const plan = { topic: 'orders', count: 50, seed: 3, startMs: START_MS, ratePerSec: 0.5 };

let shop: Project;
let directory: string;
beforeAll(async () => {
  shop = await loadProject(SHOP);
  directory = mkdtempSync(join(tmpdir(), 'oxbow-samples-'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('sample data', () => {
  it('uses the project generator of a topic, else events generated from its schema', () => {
    const clicks = defineSchema('clicks', { at: f.timestamp(), page: f.string() }, { eventTime: 'at' });
    const own = () => [{ at: START_MS, page: '/' }];
    const project = defineProject({ topics: { clicks, other: clicks }, generators: { clicks: own } });
    expect(generatorOf(project, 'clicks')).toBe(own);
    expect([...generatorOf(project, 'other')({ count: 2, seed: 1, startMs: START_MS })]).toHaveLength(2);
    expect(() => generatorOf(project, 'nope')).toThrow('unknown topic "nope" (topics: clicks, other)');
  });

  it('gives the same JSON lines for the same plan, each a record its schema accepts', () => {
    const text = sampleJsonLines(shop, plan);
    expect(sampleJsonLines(shop, plan)).toBe(text);
    expect(sampleJsonLines(shop, { ...plan, seed: 4 })).not.toBe(text);
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(50);
    const schema = shop.schemaOf('orders');
    for (const line of lines) expect(schema.parse(line, { now: START_MS + 86_400_000 }).ok).toBe(true);
  });

  it('writes each plan to its file, reports what changed, and only compares in check mode', () => {
    const plans = [plan, { ...plan, file: 'nested/late.jsonl', lateFraction: 0.5 }];
    expect(writeSampleData(shop, directory, plans, { check: true })).toEqual([
      join(directory, 'orders.jsonl'),
      join(directory, 'nested/late.jsonl'),
    ]);
    expect(writeSampleData(shop, directory, plans)).toHaveLength(2);
    expect(readFileSync(join(directory, 'orders.jsonl'), 'utf8')).toBe(sampleJsonLines(shop, plan));
    expect(writeSampleData(shop, directory, plans)).toEqual([]);
    writeFileSync(join(directory, 'orders.jsonl'), 'edited\n');
    expect(writeSampleData(shop, directory, plans, { check: true })).toEqual([
      join(directory, 'orders.jsonl'),
    ]);
    expect(readFileSync(join(directory, 'orders.jsonl'), 'utf8')).toBe('edited\n');
  });
});
