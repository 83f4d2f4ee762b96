/**
 * The speed-only views: answers that only make sense "now", kept by the speed layer in Redis as their latest
 * value and never recomputed by the batch layer.
 *
 * - `live_requests_5m`: requests per path over the last 5 minutes of processing time, sliding every 10 s, kept
 *   incrementally by `reduceByKeyAndWindow` with its inverse;
 * - `active_sessions`: sessions per user (`mapWithState`), closed after 30 minutes without a request; counts of
 *   active and completed sessions;
 * - `sensor_anomalies`: readings more than 3σ away from their sensor's running mean (`updateStateByKey`).
 *
 * Each view is a function from a DStream of parsed events to a DStream, plus a pure `present…` function turning
 * one batch's collected output into the JSON value the API serves. Durations are options so tests use short ones.
 */
import { type DStream, type MapWithStateStream, StateSpec } from '@oxbow/dataflow';
import { defineLiveView, type LiveViewSettings, requireArgument } from '@oxbow/views';
import type { HttpLogEvent, SensorReadingEvent } from './schemas.ts';

/** The names of the speed-only views (Redis `oxbow:live:<name>`). */
export const LIVE_VIEW_NAMES = ['live_requests_5m', 'active_sessions', 'sensor_anomalies'] as const;

/** The name of a speed-only view. */
export type LiveViewName = (typeof LIVE_VIEW_NAMES)[number];

/** Durations and thresholds of the live views; every field has a production default. */
export interface LiveViewOptions {
  /** `live_requests_5m` window length. Default 300 000 ms. A multiple of the batch interval. */
  readonly requestsWindowMs?: number;
  /** `live_requests_5m` slide. Default 10 000 ms. A multiple of the batch interval dividing the window. */
  readonly requestsSlideMs?: number;
  /** `active_sessions`: a session closes after this long without a request. Default 1 800 000 ms. */
  readonly sessionIdleMs?: number;
  /**
   * `active_sessions`: how often idle sessions are looked for (the state's checkpoint interval, a multiple of
   * the batch interval). Default: every 10 batches, as Spark's `mapWithState`.
   */
  readonly sessionScanMs?: number;
  /** `sensor_anomalies`: how many standard deviations from the running mean make an anomaly. Default 3. */
  readonly anomalySigma?: number;
  /** `sensor_anomalies`: readings a sensor needs before its mean and deviation are trusted. Default 10. */
  readonly anomalyMinReadings?: number;
  /** `sensor_anomalies`: the most recent anomalies kept per sensor. Default 20. */
  readonly anomaliesKept?: number;
}

/** The defaults of {@link LiveViewOptions}. */
export const LIVE_VIEW_DEFAULTS = {
  requestsWindowMs: 300_000,
  requestsSlideMs: 10_000,
  sessionIdleMs: 1_800_000,
  anomalySigma: 3,
  anomalyMinReadings: 10,
  anomaliesKept: 20,
} as const;

// ------------------------------------------------------------------ live_requests_5m

/**
 * `live_requests_5m`: requests per path over the last `requestsWindowMs`, every `requestsSlideMs`, computed
 * incrementally (the previous window plus the batches entering minus those leaving); paths that fall back to
 * zero are dropped.
 *
 * @example
 * ```ts
 * liveRequestsByPath(httpEvents, { requestsWindowMs: 300_000, requestsSlideMs: 10_000 })
 *   .foreachRDD(async (rdd) => console.log(presentLiveRequests(await rdd.collect())));
 * ```
 */
export function liveRequestsByPath(
  events: DStream<HttpLogEvent>,
  options: LiveViewOptions = {},
): DStream<[string, number]> {
  const windowMs = options.requestsWindowMs ?? LIVE_VIEW_DEFAULTS.requestsWindowMs;
  const slideMs = options.requestsSlideMs ?? LIVE_VIEW_DEFAULTS.requestsSlideMs;
  requireArgument(
    windowMs > 0 && slideMs > 0 && windowMs % slideMs === 0,
    `live_requests_5m: the window (${windowMs} ms) must be a positive multiple of the slide (${slideMs} ms)`,
  );
  // The incremental window checkpoints its per-batch counts, so the batches leaving it survive a restart.
  return events
    .map((event): [string, number] => [event.path, 1])
    .reduceByKeyAndWindow(
      (a: number, b: number) => a + b,
      (a: number, b: number) => a - b,
      windowMs,
      slideMs,
      undefined,
      ([, requests]) => requests > 0,
    );
}

/** The served value of `live_requests_5m`. */
export interface LiveRequestsValue {
  /** Requests in the window, over every path. */
  readonly total: number;
  /** Paths with requests in the window. */
  readonly paths: number;
  /** The busiest paths, most requests first (ties by path). */
  readonly top: ReadonlyArray<{ readonly path: string; readonly requests: number }>;
}

/** Presents one window of `live_requests_5m`: the total and the `limit` busiest paths. */
export function presentLiveRequests(
  pairs: ReadonlyArray<readonly [string, number]>,
  limit = 50,
): LiveRequestsValue {
  const sorted = [...pairs].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    total: pairs.reduce((sum, [, n]) => sum + n, 0),
    paths: pairs.length,
    top: sorted.slice(0, limit).map(([path, requests]) => ({ path, requests })),
  };
}

// ------------------------------------------------------------------ active_sessions

/** One user's session: event times of its first and latest request, and how many requests it had. */
export interface UserSession {
  readonly userId: string;
  readonly startedMs: number;
  readonly lastMs: number;
  readonly requests: number;
}

/** What the session stream emits: a session after each of its requests, and once when it completes. */
export type SessionUpdate =
  | { readonly kind: 'active'; readonly session: UserSession }
  | { readonly kind: 'completed'; readonly session: UserSession };

/**
 * Sessions per user with `mapWithState`: a request extends its user's session (or starts one); a session
 * without a request for `sessionIdleMs` (processing time, checked every `sessionScanMs`) completes and is
 * emitted once more as `completed`.
 */
export function sessionize(
  events: DStream<HttpLogEvent>,
  options: LiveViewOptions = {},
): MapWithStateStream<string, UserSession, SessionUpdate> {
  const idleMs = options.sessionIdleMs ?? LIVE_VIEW_DEFAULTS.sessionIdleMs;
  const spec = StateSpec.function<string, HttpLogEvent, UserSession, SessionUpdate>(
    (userId, event, state) => {
      if (state.isTimingOut()) return { kind: 'completed', session: state.get() };
      const previous = state.getOption();
      const tsMs = event?.ts ?? 0;
      const session: UserSession = previous
        ? {
            userId,
            startedMs: Math.min(previous.startedMs, tsMs),
            lastMs: Math.max(previous.lastMs, tsMs),
            requests: previous.requests + 1,
          }
        : { userId, startedMs: tsMs, lastMs: tsMs, requests: 1 };
      state.update(session);
      return { kind: 'active', session };
    },
  ).timeout(idleMs);
  const sessions = events.map((event): [string, HttpLogEvent] => [event.userId, event]).mapWithState(spec);
  if (options.sessionScanMs !== undefined) sessions.checkpoint(options.sessionScanMs);
  return sessions;
}

/** One batch's output of {@link activeSessions}: an active session, or the running count of completed ones. */
export type ActiveSessionsPart =
  | { readonly kind: 'active'; readonly session: UserSession }
  | { readonly kind: 'completedTotal'; readonly count: number };

/**
 * `active_sessions`: every batch, the active sessions (the state snapshot) and the number of sessions
 * completed so far (kept with `updateStateByKey`, so it survives restarts through checkpoints).
 */
export function activeSessions(
  events: DStream<HttpLogEvent>,
  options: LiveViewOptions = {},
): DStream<ActiveSessionsPart> {
  const sessions = sessionize(events, options);
  const active = sessions
    .stateSnapshots()
    .map(([, session]): ActiveSessionsPart => ({ kind: 'active', session }));
  const completed = sessions
    .filter((update) => update.kind === 'completed')
    .map((): [string, number] => ['completed', 1])
    .updateStateByKey((ones: number[], total: number | undefined) => (total ?? 0) + ones.length, 1)
    .map(([, count]): ActiveSessionsPart => ({ kind: 'completedTotal', count }));
  return active.union(completed);
}

/** The served value of `active_sessions`. */
export interface ActiveSessionsValue {
  /** Sessions with a request within the idle timeout. */
  readonly active: number;
  /** Sessions closed by the idle timeout since the speed layer started (checkpointed). */
  readonly completed: number;
  /** Requests in the active sessions. */
  readonly requests: number;
  /** The active sessions with the most requests. */
  readonly top: readonly UserSession[];
}

/** Presents one batch of `active_sessions`. */
export function presentActiveSessions(parts: readonly ActiveSessionsPart[], limit = 10): ActiveSessionsValue {
  const sessions: UserSession[] = [];
  let completed = 0;
  for (const part of parts) {
    if (part.kind === 'active') sessions.push(part.session);
    else completed = Math.max(completed, part.count);
  }
  sessions.sort(
    (a, b) => b.requests - a.requests || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0),
  );
  return {
    active: sessions.length,
    completed,
    requests: sessions.reduce((sum, s) => sum + s.requests, 0),
    top: sessions.slice(0, limit),
  };
}

// ------------------------------------------------------------------ sensor_anomalies

/** A reading more than `sigma` standard deviations from its sensor's running mean. */
export interface SensorAnomaly {
  readonly sensorId: string;
  /** Event time, epoch milliseconds. */
  readonly ts: number;
  readonly temperature: number;
  /** The sensor's running mean and standard deviation before this reading. */
  readonly mean: number;
  readonly stddev: number;
  /** `(temperature − mean) / stddev`. */
  readonly z: number;
}

/** A sensor's running statistics (Welford's algorithm) and its recent anomalies. */
export interface SensorAnomalyState {
  readonly readings: number;
  readonly mean: number;
  /** Sum of squared deviations from the mean (variance = m2 / (readings − 1)). */
  readonly m2: number;
  /** Anomalies seen so far. */
  readonly anomalies: number;
  /** The most recent anomalies, oldest first. */
  readonly recent: readonly SensorAnomaly[];
}

/**
 * Folds a sensor's new readings (in event-time order) into its state: each reading is compared with the mean
 * and deviation of the readings before it (once there are `anomalyMinReadings`), then joins them.
 */
export function updateSensorAnomalies(
  readings: readonly SensorReadingEvent[],
  state: SensorAnomalyState | undefined,
  options: LiveViewOptions = {},
): SensorAnomalyState {
  const sigma = options.anomalySigma ?? LIVE_VIEW_DEFAULTS.anomalySigma;
  const minReadings = options.anomalyMinReadings ?? LIVE_VIEW_DEFAULTS.anomalyMinReadings;
  const kept = options.anomaliesKept ?? LIVE_VIEW_DEFAULTS.anomaliesKept;
  let n = state?.readings ?? 0;
  let mean = state?.mean ?? 0;
  let m2 = state?.m2 ?? 0;
  let anomalies = state?.anomalies ?? 0;
  const recent = [...(state?.recent ?? [])];
  const ordered = [...readings].sort((a, b) => a.ts - b.ts);
  for (const reading of ordered) {
    const x = reading.temperature;
    if (n >= minReadings && n > 1) {
      const stddev = Math.sqrt(m2 / (n - 1));
      if (stddev > 0 && Math.abs(x - mean) > sigma * stddev) {
        anomalies++;
        recent.push({
          sensorId: reading.sensorId,
          ts: reading.ts,
          temperature: x,
          mean,
          stddev,
          z: (x - mean) / stddev,
        });
      }
    }
    n++;
    const delta = x - mean;
    mean += delta / n;
    m2 += delta * (x - mean);
  }
  return { readings: n, mean, m2, anomalies, recent: recent.slice(Math.max(0, recent.length - kept)) };
}

/** `sensor_anomalies`: each sensor's running statistics and recent anomalies, updated every batch. */
export function sensorAnomalies(
  readings: DStream<SensorReadingEvent>,
  options: LiveViewOptions = {},
): DStream<[string, SensorAnomalyState]> {
  return readings
    .map((reading): [string, SensorReadingEvent] => [reading.sensorId, reading])
    .updateStateByKey(
      (values: SensorReadingEvent[], state: SensorAnomalyState | undefined) =>
        values.length === 0 && state !== undefined ? state : updateSensorAnomalies(values, state, options),
      1,
    );
}

/** The served value of `sensor_anomalies`. */
export interface SensorAnomaliesValue {
  readonly sensors: number;
  /** Anomalies seen so far, over every sensor. */
  readonly anomalies: number;
  /** The most recent anomalies over every sensor, newest first. */
  readonly recent: readonly SensorAnomaly[];
  /** Per sensor: readings, running mean and deviation, anomalies. */
  readonly bySensor: ReadonlyArray<{
    readonly sensorId: string;
    readonly readings: number;
    readonly mean: number;
    readonly stddev: number;
    readonly anomalies: number;
  }>;
}

/** Presents the sensor states of one batch. */
export function presentSensorAnomalies(
  states: ReadonlyArray<readonly [string, SensorAnomalyState]>,
  limit = 50,
): SensorAnomaliesValue {
  const recent = states
    .flatMap(([, state]) => state.recent)
    .sort((a, b) => b.ts - a.ts || (a.sensorId < b.sensorId ? -1 : 1));
  const bySensor = states
    .map(([sensorId, state]) => ({
      sensorId,
      readings: state.readings,
      mean: state.mean,
      stddev: state.readings > 1 ? Math.sqrt(state.m2 / (state.readings - 1)) : 0,
      anomalies: state.anomalies,
    }))
    .sort((a, b) => (a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0));
  return {
    sensors: states.length,
    anomalies: states.reduce((sum, [, state]) => sum + state.anomalies, 0),
    recent: recent.slice(0, limit),
    bySensor,
  };
}

/** Reads the live views' settings (durations and thresholds) from the speed layer's settings object. */
function optionsOf(settings: LiveViewSettings): LiveViewOptions {
  const options: Record<string, number> = {};
  for (const name of [
    'requestsWindowMs',
    'requestsSlideMs',
    'sessionIdleMs',
    'sessionScanMs',
    'anomalySigma',
    'anomalyMinReadings',
    'anomaliesKept',
  ]) {
    const value = settings[name];
    if (typeof value === 'number') options[name] = value;
  }
  return options;
}

/** `live_requests_5m`: requests per path over the last 5 minutes, sliding every 10 s. */
export const liveRequests5m = defineLiveView({
  name: 'live_requests_5m',
  topic: 'http_logs',
  description: 'Requests per path over the last 5 minutes of processing time, sliding every 10 s',
  build: (events: DStream<HttpLogEvent>, settings) => liveRequestsByPath(events, optionsOf(settings)),
  present: (pairs: Array<[string, number]>) => presentLiveRequests(pairs),
});

/** `active_sessions`: user sessions closed after 30 idle minutes. Names users, so admin keys only. */
export const activeSessionsView = defineLiveView({
  name: 'active_sessions',
  topic: 'http_logs',
  description: 'Active user sessions (closed after 30 minutes without a request) and completed sessions',
  personal: true,
  build: (events: DStream<HttpLogEvent>, settings) => activeSessions(events, optionsOf(settings)),
  present: (parts: ActiveSessionsPart[]) => presentActiveSessions(parts),
});

/** `sensor_anomalies`: readings more than 3σ from their sensor's running mean. */
export const sensorAnomaliesView = defineLiveView({
  name: 'sensor_anomalies',
  topic: 'sensor_readings',
  description: "Readings more than 3 standard deviations from their sensor's running mean",
  build: (readings: DStream<SensorReadingEvent>, settings) => sensorAnomalies(readings, optionsOf(settings)),
  present: (states: Array<[string, SensorAnomalyState]>) => presentSensorAnomalies(states),
});
