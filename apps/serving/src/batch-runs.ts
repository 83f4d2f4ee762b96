/**
 * Batch runs triggered through the admin API: the trigger is injected (the CLI passes `@oxbow/batch`'s run
 * function), runs are tracked in memory by id, one at a time, the latest {@link KEPT_RUNS} kept. A failed run
 * reports its error code only (its message may name hosts, buckets or paths): the message goes to the log.
 */
import { randomBytes } from 'node:crypto';
import { OxbowError } from '@oxbow/contracts';
import { ServingError } from './errors.ts';

/** Finished runs remembered at most (the oldest are forgotten first). */
export const KEPT_RUNS = 100;

/** Told the full error of a failed run (the server logs it). */
export type BatchRunFailed = (id: string, error: unknown) => void;

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
  readonly #onFailure: BatchRunFailed;
  readonly #runs = new Map<string, BatchRunRecord>();

  constructor(
    trigger: TriggerBatchRun | undefined,
    afterRun: () => Promise<unknown> = async () => {},
    onFailure: BatchRunFailed = () => {},
  ) {
    this.#trigger = trigger;
    this.#afterRun = afterRun;
    this.#onFailure = onFailure;
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
    // Insertion order is start order, and only the newest run can be running.
    for (const id of this.#runs.keys()) {
      if (this.#runs.size <= KEPT_RUNS) break;
      this.#runs.delete(id);
    }
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
          record.error = `batch run failed (${OxbowError.is(error) ? error.code : 'unexpected error'}; the message is in the server log)`;
          this.#onFailure(record.id, error);
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
