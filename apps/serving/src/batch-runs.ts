/**
 * Batch runs triggered through the admin API: the trigger is injected (the CLI passes `@oxbow/batch`'s run
 * function), runs are tracked in memory by id, one at a time.
 */
import { randomBytes } from 'node:crypto';
import { ServingError } from './errors.ts';

/** Starts one batch run and resolves with its summary (e.g. the published manifest's run id). */
export type TriggerBatchRun = () => Promise<unknown>;

/** What the API reports about one triggered run. */
export interface BatchRunRecord {
  readonly id: string;
  status: 'running' | 'succeeded' | 'failed';
  readonly startedAt: string;
  finishedAt: string | null;
  result: unknown;
  error: string | null;
}

/**
 * The runs triggered by this process.
 *
 * @example
 * const runs = new BatchRuns(() => runBatch(config, {}), () => store.refresh());
 * const { id } = runs.trigger();
 */
export class BatchRuns {
  readonly #trigger: TriggerBatchRun | undefined;
  readonly #afterRun: () => Promise<unknown>;
  readonly #runs = new Map<string, BatchRunRecord>();

  constructor(trigger: TriggerBatchRun | undefined, afterRun: () => Promise<unknown> = async () => {}) {
    this.#trigger = trigger;
    this.#afterRun = afterRun;
  }

  /** Starts a run; 501 without a trigger, 409 while another run is going. */
  trigger(now: Date = new Date()): BatchRunRecord {
    const trigger = this.#trigger;
    if (!trigger) {
      throw new ServingError(
        'OXBOW_NOT_CONFIGURED',
        'this server has no batch runner (start it with oxbow serve)',
      );
    }
    const running = [...this.#runs.values()].find((run) => run.status === 'running');
    if (running) throw new ServingError('OXBOW_CONFLICT', `batch run ${running.id} is still running`);
    const record: BatchRunRecord = {
      id: `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`,
      status: 'running',
      startedAt: now.toISOString(),
      finishedAt: null,
      result: null,
      error: null,
    };
    this.#runs.set(record.id, record);
    void Promise.resolve()
      .then(trigger)
      .then(
        async (result) => {
          record.result = result ?? null;
          await this.#afterRun().catch(() => {});
          record.finishedAt = new Date().toISOString();
          record.status = 'succeeded';
        },
        (error: unknown) => {
          record.finishedAt = new Date().toISOString();
          record.error = error instanceof Error ? error.message : String(error);
          record.status = 'failed';
        },
      );
    return record;
  }

  /** The run with `id`, or 404. */
  get(id: string): BatchRunRecord {
    const run = this.#runs.get(id);
    if (!run) throw new ServingError('OXBOW_NOT_FOUND', `no batch run "${id}" was triggered by this server`);
    return run;
  }
}
