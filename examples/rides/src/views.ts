/**
 * The rides example's views: what the batch layer recomputes, the speed layer maintains and the API answers.
 */
import { count, hyperLogLog, max, mean, min, quantiles, sum } from '@oxbow/dataflow';
import { viewsOf } from '@oxbow/views';
import { rides } from './schema.ts';

const ride = viewsOf(rides);

/** Rides per city and hour: how many, the revenue, the mean duration and how many used a promo code. */
export const ridesByCityHourly = ride.defineView({
  name: 'rides_by_city_hourly',
  description: 'Rides per city and hour of their start',
  topic: 'ride_events',
  bucket: '1h',
  key: 'city',
  fields: {
    rides: count(),
    revenueCents: sum((e) => e.fareCents),
    meanDurationS: mean((e) => e.durationS),
    withPromo: count((e) => e.promo !== undefined),
  },
  fieldDescriptions: {
    rides: 'rides started',
    revenueCents: 'fares paid, in cents',
    meanDurationS: 'mean ride duration in seconds',
    withPromo: 'rides with a promo code',
  },
});

/** The distribution of paid fares and durations per city and UTC day. */
export const faresByCityDaily = ride.defineView({
  name: 'fares_by_city_daily',
  description: 'Fare and duration quantiles of paid rides, per city and UTC day',
  topic: 'ride_events',
  bucket: '1d',
  key: 'city',
  filter: (e) => e.fareCents > 0,
  fields: {
    rides: count(),
    fareCents: quantiles((e) => e.fareCents),
    durationS: quantiles((e) => e.durationS, { relativeAccuracy: 0.02 }),
    shortestS: min((e) => e.durationS),
    longestS: max((e) => e.durationS),
  },
  fieldDescriptions: {
    rides: 'paid rides',
    fareCents: 'p50/p95/p99 fare in cents (within 1 %)',
    durationS: 'p50/p95/p99 duration in seconds (within 2 %)',
    shortestS: 'shortest paid ride, seconds',
    longestS: 'longest paid ride, seconds',
  },
});

/** Rides and revenue per promo code and UTC day, and in how many cities each code was used. */
export const promosDaily = ride.defineView({
  name: 'promos_daily',
  description: 'Rides with a promo code, per code and UTC day',
  topic: 'ride_events',
  bucket: '1d',
  key: 'promo',
  filter: (e) => e.promo !== undefined,
  fields: {
    rides: count(),
    revenueCents: sum((e) => e.fareCents),
    cities: hyperLogLog((e) => e.city, { precision: 12 }),
  },
  fieldDescriptions: {
    rides: 'rides with the code',
    revenueCents: 'fares paid with the code, in cents',
    cities: 'distinct cities (HyperLogLog, precision 12: ±1.6 % standard error)',
  },
});
