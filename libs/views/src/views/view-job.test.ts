import { DataflowContext } from '@oxbow/dataflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../project/define-project.ts';
import { loadProject } from '../project/load-project.ts';
import { generateEvents } from '../schema/generate-events.ts';
import type { ViewKey } from './aggregate-view.ts';
import { type ViewJobInput, viewJob } from './view-job.ts';

const SHOP = new URL('../../test/fixtures/shop.project.ts', import.meta.url).pathname;
const START_MS = Date.UTC(2026, 10, 24, 10);
const NOW = START_MS + 86_400_000;

let project: Project;
let events: unknown[];

beforeAll(async () => {
  project = await loadProject(SHOP);
  const orders = project.schemaOf('orders');
  events = [];
  for (const record of generateEvents(orders, { count: 4000, seed: 11, startMs: START_MS, ratePerSec: 2 })) {
    const result = orders.parse(JSON.stringify(record), { now: NOW });
    if (!result.ok) throw new Error(`generated order is invalid: ${result.reasons.join('; ')}`);
    events.push(result.event);
  }
});

const inputOf = (view: string): ViewJobInput => ({
  project: SHOP,
  view,
  events,
  slices: 4,
  numPartitions: 3,
});

/** Each state as its codec bytes in hex, by cell: merges are bit-identical whatever the split. */
function encodeStates(view: string, states: Array<[ViewKey, unknown]>): Map<string, string> {
  const codec = project.view(view).aggregator.codec;
  return new Map(
    states.map(([[key, bucket], state]) => [
      `${key}@${bucket}`,
      Buffer.from(codec.serialize(state)).toString('hex'),
    ]),
  );
}

const threaded = new DataflowContext({ parallelism: 2 });
afterAll(() => threaded.stop());

describe('viewJob', () => {
  it('gives bit-identical states at parallelism 1 and on 2 worker threads (which load the project), for every view', async () => {
    expect(events).toHaveLength(4000);
    const inProcess = new DataflowContext({ parallelism: 1 });
    try {
      for (const view of project.views.map((definition) => definition.name)) {
        const expected = encodeStates(view, await inProcess.job(viewJob, inputOf(view)).collect());
        const before = threaded.schedulerStats.tasksInWorkers;
        const actual = encodeStates(view, await threaded.job(viewJob, inputOf(view)).collect());
        expect(threaded.schedulerStats.tasksInWorkers - before, view).toBeGreaterThan(0);
        expect(actual.size, view).toBe(expected.size);
        expect(actual.size, view).toBeGreaterThan(2);
        expect(actual, view).toEqual(expected);
      }
      expect(inProcess.schedulerStats.tasksInWorkers).toBe(0);
    } finally {
      await inProcess.stop();
    }
    // Worker threads start and load the project: seconds on a busy machine.
  }, 60_000);

  it('rejects an unknown view with OXBOW_UNKNOWN_VIEW naming the known ones', () => {
    expect(() => threaded.job(viewJob, { ...inputOf('orders_by_day'), events: [] })).toThrow(
      'unknown view "orders_by_day" (views: orders_by_store_hourly, express_by_channel_daily, orders_by_size_5m)',
    );
  });

  it('needs the project loaded on the driver first', () => {
    expect(() => threaded.job(viewJob, { project: '/not/loaded.project.ts', view: 'v', events: [] })).toThrow(
      /project \/not\/loaded\.project\.ts is not loaded in this thread/,
    );
  });
});
