/**
 * The speed-only views on a manual clock (`runStream`): windowed requests against a naive count of the batches
 * in each window, sessions opening and timing out, and anomalies against a two-pass mean and deviation; and the
 * live views as the project declares them (built from the speed layer's settings).
 */
import { runStream } from '@oxbow/dataflow/testing';
import { loadProject } from '@oxbow/views';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WEB_ANALYTICS_PROJECT } from '../index.ts';
import {
  type ActiveSessionsPart,
  activeSessions,
  LIVE_VIEW_NAMES,
  liveRequestsByPath,
  presentActiveSessions,
  presentLiveRequests,
  presentSensorAnomalies,
  sensorAnomalies,
  updateSensorAnomalies,
} from '../src/live-views.ts';
import type { HttpLogEvent, SensorReadingEvent } from '../src/schemas.ts';

const T0 = Date.UTC(2026, 10, 24, 12);

function request(path: string, userId: string, ts = T0): HttpLogEvent {
  return {
    ts,
    host: 'web-1',
    method: 'GET',
    path,
    status: 200,
    bytes: 100,
    latencyMs: 5,
    userId,
    country: 'NL',
    userAgent: 'test',
  };
}

function reading(sensorId: string, temperature: number, ts: number): SensorReadingEvent {
  return { ts, sensorId, site: 'a', temperature, humidity: 50 };
}

describe('live_requests_5m (liveRequestsByPath)', () => {
  it('counts each path over the batches of the window, every slide, dropping paths that fall to zero', async () => {
    const paths = ['/', '/a', '/b'];
    const batches: HttpLogEvent[][] = Array.from({ length: 10 }, (_, b) =>
      Array.from({ length: (b * 7) % 5 }, (_, i) => request(paths[(b + i) % 3] ?? '/', `u${i}`)),
    );
    const out = await runStream(batches, (s) =>
      liveRequestsByPath(s, { requestsWindowMs: 4000, requestsSlideMs: 2000 }),
    );
    expect(out).toHaveLength(5); // one window every 2 s over 10 s
    out.forEach((pairs, j) => {
      const t = 2 * (j + 1); // the window ends with batch t and holds batches t-3 … t
      const expected = new Map<string, number>();
      for (let b = Math.max(1, t - 3); b <= t; b++) {
        for (const event of batches[b - 1] ?? [])
          expected.set(event.path, (expected.get(event.path) ?? 0) + 1);
      }
      expect(new Map(pairs), `window ending at batch ${t}`).toEqual(expected);
    });
    const last = presentLiveRequests(out[4] ?? []);
    expect(last.total).toBe([7, 8, 9, 10].reduce((n, b) => n + (batches[b - 1]?.length ?? 0), 0));
    expect(last.top[0]?.requests).toBe(Math.max(...(out[4] ?? []).map(([, n]) => n)));
  });

  it('refuses a window that is not a multiple of the slide', () => {
    expect(() => liveRequestsByPath({} as never, { requestsWindowMs: 5000, requestsSlideMs: 2000 })).toThrow(
      'live_requests_5m: the window (5000 ms) must be a positive multiple of the slide (2000 ms)',
    );
  });
});

describe('active_sessions (activeSessions)', () => {
  it('keeps a session per user and completes it after the idle timeout', async () => {
    const batches: HttpLogEvent[][] = [
      [request('/', 'u1', T0), request('/a', 'u2', T0 + 1)],
      [request('/b', 'u1', T0 + 1000)],
      [],
      [],
      [],
      [],
      [request('/', 'u1', T0 + 9000)],
    ];
    const out = await runStream(batches, (s) =>
      activeSessions(s, { sessionIdleMs: 3000, sessionScanMs: 1000 }),
    );
    const values = out.map((parts) => presentActiveSessions(parts as ActiveSessionsPart[]));
    expect(values[0]).toMatchObject({ active: 2, completed: 0, requests: 2 });
    expect(values[2]).toMatchObject({ active: 2, completed: 0, requests: 3 });
    // Event times are epoch milliseconds in parsed events: the session carries them as they are.
    expect(values[2]?.top[0]).toEqual({ userId: 'u1', startedMs: T0, lastMs: T0 + 1000, requests: 2 });
    // u2 was last seen at batch 1 (time 1000): idle for more than 3 s at time 5000.
    expect(values[4]).toMatchObject({ active: 1, completed: 1 });
    // u1 (last seen at 2000) completes at 6000; its next request opens a new session.
    expect(values[5]).toMatchObject({ active: 0, completed: 2 });
    expect(values[6]).toMatchObject({ active: 1, completed: 2, requests: 1 });
  });
});

describe('sensor_anomalies (sensorAnomalies)', () => {
  it('flags a spike after a stable run, per sensor', async () => {
    const stable = Array.from({ length: 20 }, (_, i) => reading('s1', 20 + (i % 3) * 0.1, T0 + i * 1000));
    const batches = [
      stable.slice(0, 10),
      [...stable.slice(10), reading('s2', 10, T0)],
      [reading('s1', 35, T0 + 30_000), reading('s1', 20.1, T0 + 31_000)],
    ];
    const out = await runStream(batches, (s) => sensorAnomalies(s));
    const value = presentSensorAnomalies(out[2] ?? []);
    expect(value.sensors).toBe(2);
    expect(value.anomalies).toBe(1);
    expect(value.recent[0]).toMatchObject({ sensorId: 's1', ts: T0 + 30_000, temperature: 35 });
    expect(value.recent[0]?.z).toBeGreaterThan(3);
    expect(value.bySensor.find((s) => s.sensorId === 's1')?.readings).toBe(22);
  });

  it('agrees with a two-pass mean and deviation over the readings before each one, however they are batched', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 20 }),
        (values, cuts) => {
          const readings = values.map((v, i) => reading('s', v / 2 + (i % 5 === 0 ? v : 0), T0 + i));
          let expected = 0;
          readings.forEach((r, i) => {
            const prior = readings.slice(0, i).map((p) => p.temperature);
            if (prior.length < 10) return;
            const mean = prior.reduce((a, b) => a + b, 0) / prior.length;
            const sd = Math.sqrt(prior.reduce((a, b) => a + (b - mean) ** 2, 0) / (prior.length - 1));
            const gap = Math.abs(r.temperature - mean) - 3 * sd;
            if (Math.abs(gap) < 1e-6) fc.pre(false); // on the threshold: rounding decides
            if (sd > 0 && gap > 0) expected++;
          });
          let state = updateSensorAnomalies([], undefined);
          let at = 0;
          for (let c = 0; at < readings.length; c++) {
            const size = cuts[c % cuts.length] ?? 1;
            state = updateSensorAnomalies(readings.slice(at, at + size), state);
            at += size;
          }
          expect(state.anomalies).toBe(expected);
          expect(state.readings).toBe(readings.length);
        },
      ),
    );
  });
});

describe('the live views of the project', () => {
  it('declares the three live views over their topics', async () => {
    const project = await loadProject(WEB_ANALYTICS_PROJECT);
    expect(project.liveViews.map((view) => view.name)).toEqual([...LIVE_VIEW_NAMES]);
    expect(project.liveViewsOf('http_logs').map((view) => view.name)).toEqual([
      'live_requests_5m',
      'active_sessions',
    ]);
    expect(project.liveView('active_sessions')?.personal).toBe(true);
    expect(project.liveView('live_requests_5m')?.personal).toBeUndefined();
  });

  it('builds each from the speed layer settings and presents its output', async () => {
    const project = await loadProject(WEB_ANALYTICS_PROJECT);
    const settings = {
      requestsWindowMs: 2000,
      requestsSlideMs: 1000,
      sessionIdleMs: 2000,
      sessionScanMs: 1000,
    };
    const requests = project.liveView('live_requests_5m');
    const sessions = project.liveView('active_sessions');
    const anomalies = project.liveView('sensor_anomalies');
    if (requests === undefined || sessions === undefined || anomalies === undefined)
      throw new Error('missing');
    const http = [[request('/', 'u1'), request('/', 'u2')], [request('/a', 'u1')], [], []];
    const windows = await runStream(http, (s) => requests.build(s as never, settings));
    expect(windows.map((pairs) => requests.present(pairs))).toEqual([
      { total: 2, paths: 1, top: [{ path: '/', requests: 2 }] },
      {
        total: 3,
        paths: 2,
        top: [
          { path: '/', requests: 2 },
          { path: '/a', requests: 1 },
        ],
      },
      { total: 1, paths: 1, top: [{ path: '/a', requests: 1 }] },
      { total: 0, paths: 0, top: [] },
    ]);
    const parts = await runStream(http, (s) => sessions.build(s as never, settings));
    // u2 (last seen at 1 s) is idle more than 2 s at 4 s; u1 (last seen at 2 s) is not yet.
    const active = parts.map((batch) => (sessions.present(batch) as { active: number }).active);
    expect(active).toEqual([2, 2, 2, 1]);
    const readings = [[reading('s1', 20, T0)], [reading('s1', 21, T0 + 1)]];
    const states = await runStream(readings, (s) => anomalies.build(s as never, {}));
    expect(anomalies.present(states[1] ?? [])).toMatchObject({
      sensors: 1,
      anomalies: 0,
      bySensor: [{ readings: 2 }],
    });
  });
});
