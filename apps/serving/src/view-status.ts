/**
 * Whether a view can be answered: its batch table and its realtime increments must both have been computed with
 * the view definition this server runs (the same `fingerprint`), because states of different definitions never
 * merge. A view whose definition changed is `rebuilding` until the batch layer published a table of the new
 * definition and the speed layer reports that it maintains the new one; its routes answer 503 meanwhile.
 *
 * - Batch side: with no manifest at all (a fresh install, before the first batch run) there is no batch part and
 *   the view is answered from the realtime increments alone. With a manifest, its entry for the view must carry
 *   the view's fingerprint; a manifest without an entry for the view (a view added since that run) or without a
 *   fingerprint (written before fingerprints were recorded) cannot be checked, so the view is rebuilding.
 * - Speed side: with no `<prefix>speed:status` at all the speed layer has never committed a batch, so there are
 *   no increments to mix up — unless this server saw it report before and the status and the generation marker
 *   are gone since (Redis lost its data): then the realtime part is missing until the speed layer rebuilds it, and
 *   the view is rebuilding rather than answered from the batch views alone. Once it reports, its `viewFingerprints` field must list the view with its
 *   fingerprint, and its `rebuilding` field must not be `true` (a new generation replaying Kafka: the increments
 *   are incomplete until it reached where the previous one was). Views over topics the speed layer does not
 *   consume (`speedTopics`) have no realtime part and skip this check.
 */

import type { BatchManifest } from '@oxbow/contracts';
import { ServingError } from './errors.ts';
import type { SpeedReport } from './realtime-store.ts';

/** A view as far as its status goes. */
export interface FingerprintedView {
  readonly name: string;
  readonly fingerprint: string;
}

/** `ready`, or `rebuilding` with the reason. */
export type ViewStatus =
  | { readonly status: 'ready' }
  | { readonly status: 'rebuilding'; readonly reason: string };

const READY: ViewStatus = { status: 'ready' };

/**
 * The batch side of a view's status under `manifest` (`undefined`: no batch run published yet).
 *
 * @example
 * batchStatusOf(view, manifest); // { status: 'rebuilding', reason: 'batch run … computed it with fingerprint …' }
 */
export function batchStatusOf(view: FingerprintedView, manifest: BatchManifest | undefined): ViewStatus {
  if (manifest === undefined) return READY;
  const entry = manifest.views.find((candidate) => candidate.name === view.name);
  if (entry === undefined) {
    return {
      status: 'rebuilding',
      reason: `batch run ${manifest.runId} has no table for it yet; the next batch run builds it`,
    };
  }
  if (entry.fingerprint === undefined) {
    return {
      status: 'rebuilding',
      reason: `batch run ${manifest.runId} did not record the fingerprint of its table (a manifest from before fingerprints); the next batch run rebuilds it`,
    };
  }
  if (entry.fingerprint !== view.fingerprint) {
    return {
      status: 'rebuilding',
      reason: `batch run ${manifest.runId} computed it with fingerprint ${entry.fingerprint}, this server runs ${view.fingerprint}; the next batch run rebuilds it`,
    };
  }
  return READY;
}

/**
 * The speed side of a view's status under the speed layer's `report`; `consumed` is false when the speed layer
 * does not read the view's topic (then the view has no realtime part and is ready on this side).
 *
 * @example
 * speedStatusOf(view, await realtime.speedReport(), true);
 */
export function speedStatusOf(view: FingerprintedView, report: SpeedReport, consumed = true): ViewStatus {
  if (!consumed) return READY;
  if (!report.reported) {
    if (!report.lost) return READY;
    return {
      status: 'rebuilding',
      reason:
        "the speed layer's status and generation marker are gone from Redis (it lost its data): the realtime part is missing until the speed layer rebuilds it",
    };
  }
  const fingerprints = report.viewFingerprints;
  if (fingerprints === undefined) {
    return {
      status: 'rebuilding',
      reason:
        'the speed layer does not report the fingerprints of the views it maintains (viewFingerprints in its status)',
    };
  }
  const held = fingerprints[view.name];
  if (held === undefined) {
    return { status: 'rebuilding', reason: 'the speed layer does not maintain it (yet)' };
  }
  if (held !== view.fingerprint) {
    return {
      status: 'rebuilding',
      reason: `the speed layer maintains it with fingerprint ${held}, this server runs ${view.fingerprint}`,
    };
  }
  if (report.replaying) {
    return {
      status: 'rebuilding',
      reason:
        'the speed layer is replaying Kafka to rebuild its increments, which are incomplete until it is done',
    };
  }
  return READY;
}

/**
 * Both sides: the batch side's reason first.
 *
 * @example
 * viewStatusOf(view, batch.manifest, await realtime.speedReport(), true).status; // 'ready'
 */
export function viewStatusOf(
  view: FingerprintedView,
  manifest: BatchManifest | undefined,
  report: SpeedReport,
  consumed = true,
): ViewStatus {
  const batch = batchStatusOf(view, manifest);
  return batch.status === 'rebuilding' ? batch : speedStatusOf(view, report, consumed);
}

/**
 * A query of a view that is rebuilding: 503 `OXBOW_VIEW_REBUILDING` with `status: "rebuilding"` in the body and
 * `Retry-After: retryAfterS`.
 *
 * @example
 * throw new ViewRebuildingError('orders_by_store_hourly', 'the next batch run rebuilds it', 5);
 */
export class ViewRebuildingError extends ServingError {
  readonly view: string;
  readonly retryAfterS: number;

  constructor(view: string, reason: string, retryAfterS: number) {
    super('OXBOW_VIEW_REBUILDING', `${view} is rebuilding: ${reason}`, { retriable: true });
    this.name = 'ViewRebuildingError';
    this.view = view;
    this.retryAfterS = retryAfterS;
  }
}

/** Throws a {@link ViewRebuildingError} when `status` is `rebuilding`. */
export function requireReady(view: FingerprintedView, status: ViewStatus, retryAfterS: number): void {
  if (status.status === 'rebuilding') throw new ViewRebuildingError(view.name, status.reason, retryAfterS);
}
