/**
 * The view set of a generation: which views the speed layer maintains, each with the fingerprint of its
 * definition. The increments of one generation are only ever those of one view set, so a changed, added or
 * removed view starts a new generation (see generation.ts) and no state of an old definition is merged with
 * states of a new one.
 */
import { createHash } from 'node:crypto';

/** A view as far as the view set is concerned: its name and the fingerprint of its definition. */
export interface FingerprintedView {
  readonly name: string;
  readonly fingerprint: string;
}

/**
 * Name → fingerprint of `views`, sorted by name.
 *
 * @example
 * ```ts
 * viewFingerprintsOf(project.views); // { country_daily: '3f…', page_views_hourly: '9a…', … }
 * ```
 */
export function viewFingerprintsOf(views: readonly FingerprintedView[]): Record<string, string> {
  const sorted = [...views].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return Object.fromEntries(sorted.map((view) => [view.name, view.fingerprint]));
}

/**
 * The fingerprint of a view set: SHA-256 (first 16 hex digits) of the sorted `name@fingerprint` lines joined by
 * `\n`. Equal exactly when the same views with the same definitions are maintained.
 *
 * @example
 * ```ts
 * viewSetFingerprint([{ name: 'b', fingerprint: '2' }, { name: 'a', fingerprint: '1' }]);
 * // sha256('a@1\nb@2').slice(0, 16)
 * ```
 */
export function viewSetFingerprint(views: readonly FingerprintedView[]): string {
  const lines = views.map((view) => `${view.name}@${view.fingerprint}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}
