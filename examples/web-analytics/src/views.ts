/**
 * The example's views: what the batch layer recomputes, the speed layer maintains and the API answers.
 */
import { count, hyperLogLog, max, mean, min, quantiles, sum } from '@oxbow/dataflow';
import { viewsOf } from '@oxbow/views';
import { httpLogs, sensorReadings } from './schemas.ts';

const http = viewsOf(httpLogs);
const sensors = viewsOf(sensorReadings);

/**
 * HyperLogLog precision of `page_views_hourly`: 2^12 registers (4 KiB per path and hour, ±1.6 %). A view with
 * many keys per bucket pays the sketch size per key, so it uses fewer registers than `country_daily` (14).
 */
export const PAGE_VIEWS_HLL_PRECISION = 12;

/** The status class of a status code: `2xx` for 200–299, and so on. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** Requests per path and hour: hits, 5xx errors, bytes served, distinct users and latency quantiles. */
export const pageViewsHourly = http.defineView({
  name: 'page_views_hourly',
  description: 'Requests per path and hour of event time',
  topic: 'http_logs',
  bucket: '1h',
  key: 'path',
  fields: {
    hits: count(),
    errors: count((e) => e.status >= 500),
    bytes: sum((e) => e.bytes),
    uniqueUsers: hyperLogLog((e) => e.userId, { precision: PAGE_VIEWS_HLL_PRECISION }),
    latencyMs: quantiles((e) => e.latencyMs),
  },
  fieldDescriptions: {
    hits: 'requests',
    errors: 'requests answered with a 5xx status',
    bytes: 'response bytes',
    uniqueUsers: 'distinct userId (HyperLogLog, precision 12: ±1.6 % standard error)',
    latencyMs: 'p50/p95/p99 latency in ms (within 1 %)',
  },
});

/** Requests and distinct users per country and UTC day. */
export const countryDaily = http.defineView({
  name: 'country_daily',
  description: 'Requests and distinct users per country and UTC day of event time',
  topic: 'http_logs',
  bucket: '1d',
  key: 'country',
  fields: { hits: count(), uniqueUsers: hyperLogLog((e) => e.userId) },
  fieldDescriptions: {
    hits: 'requests',
    uniqueUsers: 'distinct userId (HyperLogLog, precision 14: ±0.81 % standard error)',
  },
});

/** Requests per status class (`2xx` … `5xx`) and minute. */
export const statusMinutely = http.defineView({
  name: 'status_minutely',
  description: 'Requests per status class (2xx, 3xx, 4xx, 5xx) and minute of event time',
  topic: 'http_logs',
  bucket: '1m',
  key: (e) => statusClass(e.status),
  fields: { hits: count() },
  fieldDescriptions: { hits: 'requests' },
});

/** Readings per sensor and hour: how many, and their mean, lowest and highest temperature. */
export const sensorHourly = sensors.defineView({
  name: 'sensor_hourly',
  description: 'Readings per sensor and hour of event time, with mean, min and max temperature',
  topic: 'sensor_readings',
  bucket: '1h',
  key: 'sensorId',
  fields: {
    count: count(),
    temperature: mean((e) => e.temperature),
    min: min((e) => e.temperature),
    max: max((e) => e.temperature),
  },
  fieldDescriptions: {
    count: 'readings',
    temperature: 'mean temperature in °C',
    min: 'lowest temperature in °C',
    max: 'highest temperature in °C',
  },
});
