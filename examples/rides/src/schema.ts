/**
 * The ride-hailing example's one event type: a finished ride, as the issue "Your data, your views" writes it.
 */
import { defineSchema, type EventOf, f } from '@oxbow/views';

/** A finished ride: when it started, in which city, its fare, how long it took, and the promo code used. */
export const rides = defineSchema(
  'rides',
  {
    /** When the ride started: ISO-8601 with a time zone, or epoch milliseconds. The event time. */
    time: f.timestamp(),
    city: f.string({ maxLength: 64 }),
    /** The fare paid, in cents (0 for a free ride). */
    fareCents: f.int({ min: 0 }),
    /** How long the ride took, in seconds. */
    durationS: f.double({ min: 0 }),
    /** The promo code applied, if any. */
    promo: f.string().optional(),
  },
  { eventTime: 'time', description: 'Finished rides, one record per ride' },
);

/** A parsed ride (`time` in epoch milliseconds; `promo` absent when none was used). */
export type Ride = EventOf<typeof rides>;
