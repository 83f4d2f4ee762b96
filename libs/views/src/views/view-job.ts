/**
 * The batch computation of a project's view over in-memory events as a job module, so its tasks run on worker
 * threads although its functions capture the view: each worker loads the project (the job's `prepare`) and
 * rebuilds the lineage from the job input.
 */
import { defineJob, type RDD } from '@oxbow/dataflow';
import { loadedProject, loadProject } from '../project/load-project.ts';
import { aggregateView, type ViewKey } from './aggregate-view.ts';

/** The input of {@link viewJob}: a project file, a view name, its events, and how to split them. */
export interface ViewJobInput {
  /** The project module's path (see `resolveProjectPath`). */
  readonly project: string;
  readonly view: string;
  /** Parsed events of the view's topic. */
  readonly events: readonly unknown[];
  readonly slices?: number;
  readonly numPartitions?: number;
}

/**
 * Aggregates a project's view over events on any parallelism: `parallelize(events, slices)` then
 * {@link aggregateView}. Load the project first (`await loadProject(path)`); workers load it themselves.
 *
 * @example
 * ```ts
 * const project = await loadProject(path);
 * const states = await ctx.job(viewJob, { project: path, view: 'orders_by_store_hourly', events, slices: 4 }).collect();
 * presentViewRows(project.view('orders_by_store_hourly'), states);
 * ```
 */
export const viewJob = defineJob(
  import.meta.url,
  'viewJob',
  (ctx, input: ViewJobInput): RDD<[ViewKey, unknown]> => {
    const view = loadedProject(input.project).view(input.view);
    return aggregateView(view, ctx.parallelize(input.events as never[], input.slices), input.numPartitions);
  },
  { prepare: async (input) => void (await loadProject(input.project)) },
);
