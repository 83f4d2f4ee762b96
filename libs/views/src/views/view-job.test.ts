import { DataflowContext } from '@oxbow/dataflow';
import { afterAll, describe, expect, it } from 'vitest';
import { type HttpLogEvent, parseHttpLog } from '../events/http-log.ts';
import { parseSensorReading, type SensorReadingEvent } from '../events/sensor-reading.ts';
import { generateHttpLogs } from '../generator/http-logs.ts';
import { generateSensorReadings } from '../generator/sensor-readings.ts';
import type { ViewKey } from './aggregate-view.ts';
import { VIEW_NAMES, VIEWS, type ViewName } from './registry.ts';
import { type ViewJobInput, viewJob } from './view-job.ts';

const START_MS = Date.UTC(2026, 10, 24, 10);
const NOW = START_MS + 86_400_000;

const httpEvents: HttpLogEvent[] = [];
for (const record of generateHttpLogs({ count: 4000, seed: 11, startMs: START_MS, ratePerSec: 2 })) {
  const result = parseHttpLog(JSON.stringify(record), { now: NOW });
  if (result.ok) httpEvents.push(result.event);
}
const sensorEvents: SensorReadingEvent[] = [];
for (const record of generateSensorReadings({ count: 2000, seed: 11, startMs: START_MS, ratePerSec: 1 })) {
  const result = parseSensorReading(JSON.stringify(record), { now: NOW });
  if (result.ok) sensorEvents.push(result.event);
}

function inputOf(view: ViewName): ViewJobInput {
  return view === 'sensor_hourly'
    ? { view, events: sensorEvents, slices: 4 }
    : { view, events: httpEvents, slices: 4, numPartitions: 3 };
}

/** Each state as its codec bytes in hex, by cell: merges are bit-identical whatever the split. */
function encodeStates(view: ViewName, states: Array<[ViewKey, unknown]>): Map<string, string> {
  const codec = VIEWS[view].aggregator.codec as { serialize(state: unknown): Uint8Array };
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
  it('gives bit-identical states at parallelism 1 and on 2 worker threads, for every view', async () => {
    expect(httpEvents).toHaveLength(4000);
    expect(sensorEvents).toHaveLength(2000);
    const inProcess = new DataflowContext({ parallelism: 1 });
    try {
      for (const view of VIEW_NAMES) {
        const expected = encodeStates(view, await inProcess.job(viewJob, inputOf(view)).collect());
        const before = threaded.schedulerStats.tasksInWorkers;
        const actual = encodeStates(view, await threaded.job(viewJob, inputOf(view)).collect());
        expect(threaded.schedulerStats.tasksInWorkers - before, view).toBeGreaterThan(0);
        expect(actual.size, view).toBe(expected.size);
        expect(actual, view).toEqual(expected);
      }
      expect(inProcess.schedulerStats.tasksInWorkers).toBe(0);
    } finally {
      await inProcess.stop();
    }
  });

  it('rejects an unknown view with OXBOW_UNKNOWN_VIEW naming the known ones', () => {
    const input = { view: 'page_views', events: [] } as unknown as ViewJobInput;
    expect(() => threaded.job(viewJob, input)).toThrow(
      /unknown view "page_views" \(views: page_views_hourly, /,
    );
  });
});
