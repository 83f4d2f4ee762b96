/** The project's views: topic, bucket, key, fields, status and what the answers merge (batch rows, realtime epochs). */
import { h, table } from '../dom.ts';
import { formatDuration, formatNumber } from '../format.ts';
import type { ViewInfo, ViewsAnswer } from '../types.ts';

/** Renders the views table; clicking a view's name opens it in the explorer. */
export function renderViews(answer: ViewsAnswer, onPick: (view: string) => void): HTMLElement {
  const rows = answer.views.map((view: ViewInfo) => {
    const pick = h(
      'button',
      { class: 'link', type: 'button', 'data-testid': `view-${view.name}` },
      view.name,
    );
    pick.addEventListener('click', () => onPick(view.name));
    return [
      h('span', { title: view.description }, pick),
      view.topic,
      formatDuration(view.bucketMs),
      view.key,
      view.fields.map((field) => `${field.name} (${field.kind})`).join(', '),
      h(
        'span',
        { class: `badge ${view.status}`, title: view.rebuilding ?? '' },
        view.status === 'ready' ? 'ready' : 'rebuilding',
      ),
      formatNumber(view.merge.batchRows),
      view.merge.realtimeEpochs.length === 0 ? '—' : view.merge.realtimeEpochs.join(', '),
    ];
  });
  return table(
    ['view', 'topic', 'bucket', 'key', 'fields', 'status', 'batch rows', 'realtime epochs'],
    rows,
    { 'data-testid': 'views-table' },
  );
}
