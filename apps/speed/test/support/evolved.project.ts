/**
 * The web-analytics example after an evolution, for the speed layer's evolution test: `status_minutely` now
 * counts only 4xx and 5xx answers (its definition, so its fingerprint, changed), `method_hourly` is new,
 * `country_daily` and the live view `sensor_anomalies` are removed; the other views and live views are unchanged.
 */
import { count, sum } from '@oxbow/dataflow';
import {
  activeSessionsView,
  countryDaily,
  httpLogs,
  liveRequests5m,
  pageViewsHourly,
  sensorHourly,
  sensorReadings,
  statusClass,
  statusMinutely,
} from '@oxbow/example-web-analytics';
import { defineProject, viewsOf } from '@oxbow/views';

const http = viewsOf(httpLogs);

/** `status_minutely`, redefined: client and server errors only. */
export const statusMinutelyErrors = http.defineView({
  name: 'status_minutely',
  description: 'Requests answered 4xx or 5xx per status class and minute of event time',
  topic: 'http_logs',
  bucket: '1m',
  key: (e) => statusClass(e.status),
  filter: (e) => e.status >= 400,
  fields: { hits: count() },
});

/** A new view: requests and bytes per HTTP method and hour. */
export const methodHourly = http.defineView({
  name: 'method_hourly',
  description: 'Requests and bytes per HTTP method and hour of event time',
  topic: 'http_logs',
  bucket: '1h',
  key: 'method',
  fields: { hits: count(), bytes: sum((e) => e.bytes) },
});

/** The views that were removed and kept, for the test's assertions. */
export const REMOVED_VIEWS = [countryDaily.spec.name] as const;
export const UNCHANGED_VIEWS = [pageViewsHourly.spec.name, sensorHourly.spec.name] as const;
export const CHANGED_VIEW = statusMinutely.spec.name;

export default defineProject({
  description:
    'Web analytics, evolved: status_minutely counts errors only, method_hourly added, country_daily removed',
  topics: { http_logs: httpLogs, sensor_readings: sensorReadings },
  views: [pageViewsHourly, statusMinutelyErrors, sensorHourly, methodHourly],
  live: [liveRequests5m, activeSessionsView],
});
