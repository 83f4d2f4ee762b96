/**
 * The speed layer's reconciliation record of a view (`RedisLayout.reconciliation()`, one hash field per view): after
 * a batch run published a new version and before the speed layer expires the realtime increments of the epochs it
 * covers, it checks that the previous version ⊕ those increments equals the new version, cell by cell, and writes
 * what it found here; the serving layer shows it in `GET /v1/views` (`reconciliation`).
 */
import { type Fail, integerField, objectField, parseJson, stringField } from '../json-fields.ts';

/** The `format` tag of a reconciliation record. */
export const RECONCILIATION_FORMAT = 'oxbow-reconciliation';

/** What the speed layer writes for one view under `RedisLayout.reconciliation()`. */
export interface ViewReconciliation {
  readonly format: typeof RECONCILIATION_FORMAT;
  readonly version: 1;
  readonly view: string;
  /** The batch run whose version was checked. */
  readonly runId: string;
  /** When the check ran (ISO-8601). */
  readonly checkedAt: string;
  /** `checked`, or `skipped` when the increments cannot be complete for those epochs (see `reason`). */
  readonly outcome: 'checked' | 'skipped';
  /** Why the check was skipped (only then). */
  readonly reason?: string;
  /** The epochs the new version newly covers and the speed layer held increments of. */
  readonly epochs: number;
  /** The (key, bucket) cells those increments touched. */
  readonly cells: number;
  /** Cells whose previous version ⊕ increments differ from the new version (0 when batch and speed agree). */
  readonly driftCells: number;
}

/**
 * The record as the JSON text stored in Redis.
 *
 * @example
 * await redis.hset(layout.reconciliation(), record.view, encodeReconciliation(record));
 */
export function encodeReconciliation(record: ViewReconciliation): string {
  return JSON.stringify(record);
}

/**
 * Parses a record read from Redis, or `undefined` when it is not one (a reader shows no reconciliation then).
 *
 * @example
 * const record = decodeReconciliation(await redis.hget(layout.reconciliation(), 'page_views_hourly') ?? '');
 */
export function decodeReconciliation(input: string | Uint8Array): ViewReconciliation | undefined {
  const fail: Fail = (problem) => {
    throw new Error(problem);
  };
  try {
    const record = objectField(
      parseJson(input, (error) => fail(String(error))),
      'the record',
      fail,
    );
    if (record.format !== RECONCILIATION_FORMAT || record.version !== 1) return undefined;
    if (record.outcome !== 'checked' && record.outcome !== 'skipped') return undefined;
    return {
      format: RECONCILIATION_FORMAT,
      version: 1,
      view: stringField(record.view, 'view', fail),
      runId: stringField(record.runId, 'runId', fail),
      checkedAt: stringField(record.checkedAt, 'checkedAt', fail),
      outcome: record.outcome,
      ...(record.reason === undefined ? {} : { reason: stringField(record.reason, 'reason', fail) }),
      epochs: integerField(record.epochs, 'epochs', fail, 0),
      cells: integerField(record.cells, 'cells', fail, 0),
      driftCells: integerField(record.driftCells, 'driftCells', fail, 0),
    };
  } catch {
    return undefined;
  }
}
