/**
 * Reconciliation in production (issue 13): after each batch run, before the speed layer expires the increments of
 * the epochs the new version covers, it compares the previous version ⊕ those increments with the new version and
 * reports per view in `GET /v1/views` (`reconciliation`), a metric and a log line. On the whole Lambda stack of the
 * web-analytics example (the archiver, `oxbow speed`, `oxbow serve`, `oxbow batch run`):
 *
 * - a first run (over an empty previous version) and a second run both check every view with **zero drift**;
 * - with one increments hash of `page_views_hourly` deleted from Redis before the next run (increments lost by
 *   the speed layer), that view reports the drifted cells, and the other views still none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type E2eProject, SeededInput, webAnalytics } from './support/e2e-projects.ts';
import { LambdaStack } from './support/lambda-stack.ts';

const EPOCH_MS = 3000;
const EVENTS = Number(process.env.OXBOW_E2E_RECONCILIATION_EVENTS ?? 6_000);

let stack: LambdaStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/** Produces chunk `chunk`, waits for the speed layer to commit it, runs a batch covering it; returns the run. */
async function chunkThenBatch(e2e: E2eProject, input: SeededInput, chunk: number, running: LambdaStack) {
  for (const [topic, records] of input.slice(chunk, chunk)) await running.produce(topic, records);
  await running.speedCaughtUp();
  const run = await running.batchRun({ coversEverything: true });
  await running.servingFollows(run.runId);
  const views = e2e.project.views.map((view) => view.name);
  return { run, reconciled: await running.reconciliationsOf(run.runId, views) };
}

describe('reconciliation of the batch and speed layers', () => {
  it('reports zero drift after every batch run, and the drifted cells when increments were lost', async () => {
    const e2e = await webAnalytics();
    const input = new SeededInput(e2e, { events: EVENTS, seed: 13, chunks: 3 });
    stack = await LambdaStack.start({ label: 'reconcile', project: e2e.file, epochMs: EPOCH_MS });

    let watermark = Number.NEGATIVE_INFINITY;
    for (const chunk of [0, 1]) {
      const { run, reconciled } = await chunkThenBatch(e2e, input, chunk, stack);
      for (const [view, record] of reconciled) {
        expect(record, `${view} after run ${chunk + 1}`).toMatchObject({ outcome: 'checked', driftCells: 0 });
        expect(record.epochs, view).toBeGreaterThan(0);
        expect(record.cells, view).toBeGreaterThan(0);
      }
      watermark = run.watermarkEpoch ?? watermark;
      console.log(
        `reconciliation of run ${run.runId}: ${[...reconciled].map(([view, r]) => `${view} ${r.epochs} epochs ${r.cells} cells drift ${r.driftCells}`).join('; ')}`,
      );
    }
    expect(stack.logs.some((line) => /reconciliation of page_views_hourly .* drift 0 cells/.test(line))).toBe(
      true,
    );

    // A fault: the speed layer "loses" one increments hash of the epochs the next run covers.
    for (const [topic, records] of input.slice(2, 2)) await stack.produce(topic, records);
    await stack.speedCaughtUp();
    const lost = (await stack.redis.keys(`${stack.prefix}rt:page_views_hourly:*`)).find(
      (key) => Number(key.slice(`${stack?.prefix}rt:page_views_hourly:`.length).split(':')[0]) > watermark,
    );
    expect(lost).toBeDefined();
    await stack.redis.del(lost as string);
    const run = await stack.batchRun({ coversEverything: true });
    await stack.servingFollows(run.runId);
    const reconciled = await stack.reconciliationsOf(run.runId);
    expect(reconciled.get('page_views_hourly')?.outcome).toBe('checked');
    expect(reconciled.get('page_views_hourly')?.driftCells).toBeGreaterThan(0);
    for (const view of ['country_daily', 'status_minutely', 'sensor_hourly'])
      expect(reconciled.get(view), view).toMatchObject({ outcome: 'checked', driftCells: 0 });
    console.log(
      `with one increments hash lost: page_views_hourly drift ${reconciled.get('page_views_hourly')?.driftCells} cells`,
    );
  }, 300_000);
});
