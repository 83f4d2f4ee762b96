/**
 * The batch computation of every view as a job module, so its tasks run on worker threads although its functions
 * capture the view: each worker imports this module and rebuilds the lineage from the job input.
 */
import { defineJob, type RDD } from '@oxbow/dataflow';
import type { HttpLogEvent } from '../events/http-log.ts';
import type { SensorReadingEvent } from '../events/sensor-reading.ts';
import { aggregateView, type ViewKey } from './aggregate-view.ts';
import { type HttpLogViewName, type SensorReadingViewName, viewByName } from './registry.ts';
import type { TimedEvent, ViewDefinition } from './view-definition.ts';

/**
 * The input of {@link viewJob}: a view name, its events, and how to split them. The batch app will replace the
 * in-memory events with a Parquet source of the master dataset.
 */
export type ViewJobInput =
  | {
      readonly view: HttpLogViewName;
      readonly events: readonly HttpLogEvent[];
      readonly slices?: number;
      readonly numPartitions?: number;
    }
  | {
      readonly view: SensorReadingViewName;
      readonly events: readonly SensorReadingEvent[];
      readonly slices?: number;
      readonly numPartitions?: number;
    };

/**
 * Aggregates a view over events on any parallelism: `parallelize(events, slices)` then {@link aggregateView}.
 * The states are the view aggregator's; present them with `presentViewRows(VIEWS[input.view], …)`.
 *
 * @example
 * ```ts
 * const ctx = new DataflowContext({ parallelism: 2 });
 * const states = await ctx.job(viewJob, { view: 'page_views_hourly', events, slices: 4 }).collect();
 * ```
 */
export const viewJob = defineJob(
  import.meta.url,
  'viewJob',
  (ctx, input: ViewJobInput): RDD<[ViewKey, unknown]> => {
    const view = viewByName(input.view) as unknown as ViewDefinition<TimedEvent, unknown, unknown>;
    const events: readonly TimedEvent[] = input.events;
    return aggregateView(view, ctx.parallelize(events, input.slices), input.numPartitions);
  },
);
