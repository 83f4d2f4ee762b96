/**
 * A batch run split as a Kubernetes Indexed Job, on one machine: three `oxbow batch run --count 3` processes with
 * `JOB_COMPLETION_INDEX` 0, 1 and 2 side by side on one lake, then `oxbow batch merge --count 3`; the published
 * version equals a single-process run over a copy of the same lake byte for byte (every table's rows, state bytes
 * and presented columns; the manifest's watermark, end offsets, views with fingerprints and coverage, and models).
 * With a part missing the merge fails and publishes nothing. A top-K field whose summaries drop items is merged
 * from the parts' exact item counts, equal to the single run's too.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import type { BatchManifest } from '@oxbow/contracts';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchError } from '../src/errors.ts';
import { PART_MARKER, partDir, partsRunDir } from '../src/run/batch-parts.ts';
import { mergeBatchParts, runBatch, runBatchPart } from '../src/run/run-batch.ts';
import { type GeneratedLake, writeGeneratedLake } from './support/generated-lake.ts';
import { readManifestFile, readPublishedTables } from './support/published.ts';
import { testConfig } from './support/test-config.ts';

const NODE = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const EPOCH_MS = 30_000;
const LAKE_OPTIONS = { epochMs: EPOCH_MS, httpCount: 4000, sensorCount: 1500, seed: 11, partitions: 3 };

let dir: string;
let singleUrl: string;
let splitUrl: string;
let single: FileSystem;
let split: FileSystem;
let lake: GeneratedLake;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oxbow-batch-indexed-'));
  singleUrl = `${pathToFileURL(join(dir, 'single')).href}/`;
  splitUrl = `${pathToFileURL(join(dir, 'split')).href}/`;
  single = openFileSystem(singleUrl);
  split = openFileSystem(splitUrl);
  lake = await writeGeneratedLake(single, LAKE_OPTIONS);
  await writeGeneratedLake(split, LAKE_OPTIONS);
});

afterAll(async () => {
  await single?.close();
  await split?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Cli {
  readonly exit: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/** `oxbow <args>` as a child process over the split lake (unless `env` names another), with `env` added. */
async function oxbow(args: readonly string[], env: Record<string, string> = {}): Promise<Cli> {
  const child = spawn(NODE, [CLI, ...args], {
    cwd: dir,
    env: {
      ...process.env,
      OXBOW_LAKE: splitUrl,
      OXBOW_PROJECT: WEB_ANALYTICS_PROJECT,
      OXBOW_EPOCH_MS: String(EPOCH_MS),
      OXBOW_BATCH_PARALLELISM: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  return { exit: code ?? signal ?? -1, stdout, stderr };
}

const jsonOf = (cli: Cli) =>
  JSON.parse(cli.stdout.split('\n').find((line) => line.startsWith('{')) ?? 'null');

/** The parts of a manifest that do not depend on when or how fast it was computed. */
function comparable(manifest: BatchManifest) {
  return {
    epochMs: manifest.epochMs,
    watermarkEpoch: manifest.watermarkEpoch,
    endOffsets: manifest.endOffsets,
    views: manifest.views.map((view) => ({
      name: view.name,
      rows: view.rows,
      rowsIn: view.rowsIn,
      engine: view.engine,
      fingerprint: view.fingerprint,
      mode: view.mode,
      coverage: view.coverage,
    })),
    models: manifest.models?.map(({ path: _path, ...model }) => model),
  };
}

describe('a batch run as a Kubernetes Indexed Job (3 parts, then the merge)', () => {
  let reference: BatchManifest;

  it('three part processes (JOB_COMPLETION_INDEX 0, 1, 2) stage slices that cover every sealed file once', async () => {
    // The reference: one `oxbow batch run` process over a copy of the lake (a process too, so the project is
    // loaded the same way: a model's fingerprint reads its functions' source text).
    const whole = await oxbow(['batch', 'run', '--json'], { OXBOW_LAKE: singleUrl });
    expect(whole.exit, whole.stderr.slice(-2000)).toBe(0);
    expect(jsonOf(whole)).toMatchObject({ status: 'published' });
    reference = await readManifestFile(single);
    const parts = await Promise.all(
      [0, 1, 2].map((index) =>
        oxbow(['batch', 'run', '--count', '3', '--json'], { JOB_COMPLETION_INDEX: String(index) }),
      ),
    );
    for (const [index, part] of parts.entries()) {
      expect(part.exit, `part ${index}: ${part.stderr.slice(-2000)}`).toBe(0);
      const summary = jsonOf(part);
      expect(summary).toMatchObject({
        status: 'part-written',
        partsRunId: `w${lake.watermark}`,
        index,
        count: 3,
        watermarkEpoch: lake.watermark,
      });
    }
    const summaries = parts.map(jsonOf) as Array<{
      views: Array<{ name: string; files: number; rowsIn: number; coverage: { files: number } }>;
    }>;
    for (const view of reference.views) {
      const staged = summaries.map((summary) => summary.views.find((entry) => entry.name === view.name));
      // Every sealed file in exactly one slice: the slices' files and rows add up to the single run's.
      expect(
        staged.reduce((total, entry) => total + (entry?.files ?? 0), 0),
        view.name,
      ).toBe(view.coverage?.files);
      expect(
        staged.reduce((total, entry) => total + (entry?.rowsIn ?? 0), 0),
        view.name,
      ).toBe(view.rowsIn);
      for (const entry of staged) expect(entry?.files, view.name).toBeGreaterThan(0);
    }
    // Nothing is published by a part.
    await expect(split.exists('views/_manifest.json')).resolves.toBe(false);
  });

  it('the merge refuses while a part is missing and publishes nothing', async () => {
    const runId = `w${lake.watermark}`;
    const marker = `${partDir(runId, { index: 1, count: 3 })}/${PART_MARKER}`;
    const bytes = await split.read(marker);
    await split.delete(marker);
    try {
      const error = await mergeBatchParts(testConfig(splitUrl), { count: 3, lockSettleMs: 20 }).catch(
        (caught: unknown) => caught,
      );
      expect(BatchError.is(error, 'OXBOW_BATCH_PARTS')).toBe(true);
      expect((error as Error).message).toContain('1 of 3 parts missing: 1 (');
      const cli = await oxbow(['batch', 'merge', '--count', '3', '--json']);
      expect(cli.exit).toBe(1);
      expect(cli.stderr).toContain('parts missing');
      await expect(split.exists('views/_manifest.json')).resolves.toBe(false);
      // A merge for another number of parts finds none of them.
      const four = await mergeBatchParts(testConfig(splitUrl), { count: 4, lockSettleMs: 20 }).catch(
        (caught: unknown) => caught,
      );
      expect((four as Error).message).toContain('4 of 4 parts missing');
    } finally {
      await split.putAtomic(marker, bytes);
    }
  });

  it('oxbow batch merge publishes exactly what a single-process run publishes, byte for byte', async () => {
    const merged = await oxbow(['batch', 'merge', '--count', '3', '--json']);
    expect(merged.exit, merged.stderr.slice(-2000)).toBe(0);
    expect(jsonOf(merged)).toMatchObject({ status: 'published', watermarkEpoch: lake.watermark });
    const splitManifest = await readManifestFile(split);
    const singleManifest = reference;
    expect(comparable(splitManifest)).toEqual(comparable(singleManifest));
    expect(splitManifest.views.length).toBeGreaterThanOrEqual(4);

    const splitTables = await readPublishedTables(split, splitManifest);
    const singleTables = await readPublishedTables(single, singleManifest);
    expect([...splitTables.keys()]).toEqual([...singleTables.keys()]);
    for (const [name, rows] of singleTables) {
      expect(rows.length, name).toBeGreaterThan(0);
      // Every row: key, bucket, the state bytes (hex) and every presented column.
      expect(splitTables.get(name), name).toEqual(rows);
    }
    for (const model of singleManifest.models ?? []) {
      const other = splitManifest.models?.find((entry) => entry.name === model.name);
      expect(Buffer.from(await split.read(other?.path ?? '')).toString(), model.name).toBe(
        Buffer.from(await single.read(model.path)).toString(),
      );
    }
    // The staged parts are gone once published.
    const left: string[] = [];
    for await (const file of split.list(`${partsRunDir(`w${lake.watermark}`)}/`)) left.push(file.path);
    expect(left).toEqual([]);
  });
});

describe('a split run of a view with a top-K summary that drops items', () => {
  const TOP_K_PROJECT = fileURLToPath(new URL('./fixtures/top-k.project.ts', import.meta.url));

  it('merges the parts’ exact item counts into the single run’s summaries, byte for byte', async () => {
    const one = `${pathToFileURL(join(dir, 'topk-single')).href}/`;
    const three = `${pathToFileURL(join(dir, 'topk-split')).href}/`;
    const oneFs = openFileSystem(one);
    const threeFs = openFileSystem(three);
    try {
      await writeGeneratedLake(oneFs, LAKE_OPTIONS);
      await writeGeneratedLake(threeFs, LAKE_OPTIONS);
      await runBatch(testConfig(one, { project: TOP_K_PROJECT }), { lockSettleMs: 20 });
      for (const index of [0, 1, 2]) {
        const part = await runBatchPart(testConfig(three, { project: TOP_K_PROJECT }), {
          part: { index, count: 3 },
        });
        expect(part.views.map((view) => view.engine)).toEqual(['duckdb']);
      }
      await mergeBatchParts(testConfig(three, { project: TOP_K_PROJECT }), { count: 3, lockSettleMs: 20 });
      const expected = await readPublishedTables(oneFs, await readManifestFile(oneFs));
      const rows = expected.get('top_paths_daily') ?? [];
      // Summaries that had to drop items: more hits in the cell than the 3 paths kept account for.
      const dropped = rows.filter((row) => {
        const kept = JSON.parse(String(row.topPaths)) as Array<[string, number]>;
        return kept.length === 3 && kept.reduce((total, [, hits]) => total + hits, 0) < Number(row.hits);
      });
      expect(dropped.length).toBeGreaterThan(0);
      expect(await readPublishedTables(threeFs, await readManifestFile(threeFs))).toEqual(expected);
    } finally {
      await oneFs.close();
      await threeFs.close();
    }
  });
});
