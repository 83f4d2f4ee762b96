/** What the page shares between its panels: the project's views, the explorer's selection, the batch watermark. */
import { watermarkTimeMs } from './parts.ts';
import type { ManifestsAnswer, ViewInfo, ViewsAnswer } from './types.ts';

/** A range choice of the explorer and the top keys. */
export type RangeChoice = 'all' | '24h' | '7d' | '30d' | 'custom';

/** The page's shared state. */
export interface DashboardState {
  views: ViewsAnswer | undefined;
  manifests: ManifestsAnswer | undefined;
  /** The explorer's view, key and range. */
  view: string;
  key: string;
  range: RangeChoice;
  from: string;
  to: string;
}

/** The selection in the URL's hash (`#view=…&key=…&from=…&to=…`), so a view can be linked. */
export function readHash(state: DashboardState): void {
  const params = new URLSearchParams(location.hash.slice(1));
  state.view = params.get('view') ?? state.view;
  state.key = params.get('key') ?? state.key;
  const from = params.get('from');
  const to = params.get('to');
  if (from !== null || to !== null) {
    state.range = 'custom';
    state.from = from ?? '';
    state.to = to ?? '';
  }
}

/** Writes the selection to the URL's hash without adding a history entry. */
export function writeHash(state: DashboardState): void {
  const params = new URLSearchParams({ view: state.view, key: state.key });
  const { from, to } = rangeOf(state);
  if (state.range === 'custom') {
    if (from) params.set('from', from);
    if (to) params.set('to', to);
  }
  history.replaceState(null, '', `#${params}`);
}

const RANGE_MS: Readonly<Record<Exclude<RangeChoice, 'all' | 'custom'>, number>> = {
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

/** The `from`/`to` query parameters of the selection (undefined: unbounded). */
export function rangeOf(state: DashboardState): { from: string | undefined; to: string | undefined } {
  if (state.range === 'all') return { from: undefined, to: undefined };
  if (state.range === 'custom')
    return { from: state.from.trim() || undefined, to: state.to.trim() || undefined };
  // Whole hours, so that answers (and their ETags) stay the same between refreshes within the hour.
  const now = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
  return { from: new Date(now - RANGE_MS[state.range]).toISOString(), to: undefined };
}

/** The selected view's definition. */
export function selectedView(state: DashboardState): ViewInfo | undefined {
  return state.views?.views.find((view) => view.name === state.view);
}

/** The batch watermark time (ms) of the version served, when the manifests answer was readable. */
export function watermarkMs(state: DashboardState): number | null {
  const current = state.manifests?.current;
  return current ? watermarkTimeMs(current.watermarkEpoch, current.epochMs) : null;
}
