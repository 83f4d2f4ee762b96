/**
 * Seeded sample data of a project: the records a topic's generator makes (the project's own generator, else
 * events generated from the schema), written as JSON lines that `oxbow produce --file` replays and that tests read
 * as fixtures. The same plan always gives the same bytes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateEvents } from '../schema/generate-events.ts';
import type { EventGenerator, Project } from './define-project.ts';

/** What to generate for one topic: the generator options and the file it goes to. */
export interface SamplePlan {
  /** The project topic. */
  readonly topic: string;
  /** The file, relative to the directory given to {@link writeSampleData} (default `<topic>.jsonl`). */
  readonly file?: string;
  readonly count: number;
  readonly seed: number;
  /** Production time of the first record, epoch milliseconds. */
  readonly startMs: number;
  readonly ratePerSec?: number;
  readonly lateFraction?: number;
}

/**
 * The generator `oxbow produce` uses for a topic: the project's hand-tuned one, or one making events from the
 * schema's field types (`generateEvents`). Throws `OXBOW_UNKNOWN_TOPIC` for a topic the project lacks.
 *
 * @example
 * ```ts
 * for (const record of generatorOf(project, 'orders')({ count: 10, seed: 1, startMs })) console.log(record);
 * ```
 */
export function generatorOf(project: Project, topic: string): EventGenerator {
  const schema = project.schemaOf(topic);
  return project.generators.get(topic) ?? ((options) => generateEvents(schema, options));
}

/**
 * The sample of one plan as JSON-lines text: one record per line, each line ending in `\n`.
 *
 * @example
 * ```ts
 * sampleJsonLines(project, { topic: 'orders', count: 2, seed: 1, startMs: Date.UTC(2026, 10, 24) });
 * // '{"at":"2026-11-24T00:00:00.000Z",…}\n{…}\n'
 * ```
 */
export function sampleJsonLines(project: Project, plan: SamplePlan): string {
  const { topic: _topic, file: _file, ...options } = plan;
  let text = '';
  for (const record of generatorOf(project, plan.topic)(options)) text += `${JSON.stringify(record)}\n`;
  return text;
}

/** Options of {@link writeSampleData}. */
export interface WriteSampleOptions {
  /** Only compare: write nothing, and report the files that differ from their plan. */
  readonly check?: boolean;
}

/**
 * Writes each plan's sample under `directory` (creating folders), or with `check` only compares; returns the
 * paths whose content differed from the plan (were rewritten, or would be).
 *
 * @example
 * ```ts
 * writeSampleData(project, 'data/shop', [{ topic: 'orders', count: 1500, seed: 7, startMs }]);
 * ```
 */
export function writeSampleData(
  project: Project,
  directory: string,
  plans: readonly SamplePlan[],
  options: WriteSampleOptions = {},
): string[] {
  const differing: string[] = [];
  for (const plan of plans) {
    const path = join(directory, plan.file ?? `${plan.topic}.jsonl`);
    const text = sampleJsonLines(project, plan);
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    differing.push(path);
    if (options.check !== true) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  return differing;
}
