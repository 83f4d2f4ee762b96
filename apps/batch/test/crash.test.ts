/**
 * A run killed after writing its version's files but before the manifest: the manifest still points at the
 * previous run, whose files are intact; the next run succeeds (the dead run's lock expires) and garbage
 * collection removes the dead run's files.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runBatch } from '../src/run/run-batch.ts';
import { writeGeneratedLake } from './support/generated-lake.ts';
import { readManifestFile, readPublishedTables } from './support/published.ts';
import { testConfig } from './support/test-config.ts';

const NODE = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
const CHILD = fileURLToPath(new URL('./support/crash-child.ts', import.meta.url));

let dir: string;
let lakeUrl: string;
let fs: FileSystem;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oxbow-batch-crash-'));
  lakeUrl = `${pathToFileURL(dir).href}/`;
  fs = openFileSystem(lakeUrl);
  await writeGeneratedLake(fs, { epochMs: 30_000, httpCount: 800, sensorCount: 300 });
});

afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  await fs?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function filesUnder(prefix: string): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  for await (const file of fs.list(prefix)) files.set(file.path, file.size);
  return files;
}

it('a run killed before its manifest leaves the previous version served; the next run cleans up', async () => {
  const previous = await runBatch(testConfig(lakeUrl), { lockSettleMs: 20 });
  expect(previous.status).toBe('published');
  const previousFiles = await filesUnder(`views/v=${previous.runId}/`);
  const previousTables = await readPublishedTables(fs, await readManifestFile(fs));

  child = spawn(NODE, [CHILD, lakeUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let deadRunId = '';
  for await (const line of lines) {
    const match = /^DATA-WRITTEN (\S+)$/.exec(line);
    if (match?.[1]) {
      deadRunId = match[1];
      break;
    }
  }
  expect(deadRunId).not.toBe('');
  child.kill('SIGKILL');
  await once(child, 'exit');

  // The dead run wrote files, but readers still follow the previous manifest, whose files are untouched.
  expect((await filesUnder(`views/v=${deadRunId}/`)).size).toBeGreaterThan(0);
  expect((await readManifestFile(fs)).runId).toBe(previous.runId);
  expect(await fs.exists(`views/_manifests/${deadRunId}.json`)).toBe(false);
  expect(await filesUnder(`views/v=${previous.runId}/`)).toEqual(previousFiles);
  expect(await readPublishedTables(fs, await readManifestFile(fs))).toEqual(previousTables);

  // Its lock is still there and live: a run now is refused.
  expect((await runBatch(testConfig(lakeUrl), { lockSettleMs: 20 })).status).toBe('locked');
  // Once the lock has expired (clock injected, 5 s TTL), the next run takes it over and publishes.
  const later = () => Date.now() + 60_000;
  const next = await runBatch(testConfig(lakeUrl), { lockSettleMs: 20, now: later });
  expect(next.status).toBe('published');
  expect((await readManifestFile(fs)).runId).toBe(next.runId);
  expect(next.deletedVersions).toContain(deadRunId);
  expect((await filesUnder(`views/v=${deadRunId}/`)).size).toBe(0);
  expect(await filesUnder(`views/v=${previous.runId}/`)).toEqual(previousFiles);
  expect(await fs.exists('views/_lock')).toBe(false);
});
