/**
 * The rides example: finished rides of a ride-hailing service on topic `ride_events`, three views and one live
 * view. It gives no generator: `oxbow produce --topic ride_events` makes rides from the schema's field types.
 * Run it with `--project examples/rides/oxbow.project.ts` (or `OXBOW_PROJECT`).
 */
import { defineProject } from '@oxbow/views';
import { citySurgeView } from './src/city-surge.ts';
import { rides } from './src/schema.ts';
import { faresByCityDaily, promosDaily, ridesByCityHourly } from './src/views.ts';

export default defineProject({
  description: 'Ride hailing: finished rides by city, fare and promo code',
  topics: { ride_events: rides },
  views: [ridesByCityHourly, faresByCityDaily, promosDaily],
  live: [citySurgeView],
});
