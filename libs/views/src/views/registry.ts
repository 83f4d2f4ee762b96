/**
 * Every view by name: what the batch app recomputes, the speed app maintains and the serving layer answers.
 */
import { ViewsError } from '../errors.ts';
import { countryDaily, pageViewsHourly, statusMinutely } from './http-views.ts';
import { sensorHourly } from './sensor-views.ts';

/**
 * The views, by name.
 *
 * @example
 * ```ts
 * for (const view of Object.values(VIEWS)) console.log(view.name, view.topic, view.bucketMs);
 * ```
 */
export const VIEWS = {
  page_views_hourly: pageViewsHourly,
  country_daily: countryDaily,
  status_minutely: statusMinutely,
  sensor_hourly: sensorHourly,
} as const;

/** The name of a registered view. */
export type ViewName = keyof typeof VIEWS;

/** The names of the views over HTTP access logs. */
export type HttpLogViewName = 'page_views_hourly' | 'country_daily' | 'status_minutely';

/** The names of the views over sensor readings. */
export type SensorReadingViewName = 'sensor_hourly';

/** Every view name, in registry order. */
export const VIEW_NAMES = Object.keys(VIEWS) as ViewName[];

/** True when `name` is a registered view. */
export function isViewName(name: string): name is ViewName {
  return Object.hasOwn(VIEWS, name);
}

/**
 * The view named `name`; throws `OXBOW_UNKNOWN_VIEW` naming the known views otherwise.
 *
 * @example
 * ```ts
 * viewByName('country_daily').bucketMs; // 86_400_000
 * ```
 */
export function viewByName<N extends ViewName>(name: N): (typeof VIEWS)[N];
export function viewByName(name: string): (typeof VIEWS)[ViewName];
export function viewByName(name: string): (typeof VIEWS)[ViewName] {
  if (!isViewName(name)) {
    throw new ViewsError('OXBOW_UNKNOWN_VIEW', `unknown view "${name}" (views: ${VIEW_NAMES.join(', ')})`);
  }
  return VIEWS[name];
}
