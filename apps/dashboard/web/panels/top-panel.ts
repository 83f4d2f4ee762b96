/** The keys of a view ranked by a field (`/v1/views/<view>/top`); clicking a key opens it in the explorer. */
import { h, table } from '../dom.ts';
import { formatValue } from '../format.ts';
import type { TopAnswer, ViewInfo } from '../types.ts';

/** The value a ranking is by: a field, or one quantile of a quantiles field (`latencyMs.p99`). */
export function rankedValue(value: Readonly<Record<string, unknown>>, by: string): unknown {
  const [field = by, quantile] = by.split('.');
  const fieldValue = value[field];
  if (quantile === undefined) return fieldValue;
  return typeof fieldValue === 'object' && fieldValue !== null
    ? (fieldValue as Record<string, unknown>)[quantile]
    : undefined;
}

/** Renders the ranking. */
export function renderTop(view: ViewInfo, answer: TopAnswer, onPick: (key: string) => void): HTMLElement {
  const others = view.fields.filter((field) => field.name !== answer.by.split('.')[0]).slice(0, 4);
  return table(
    ['#', view.key, answer.by, ...others.map((field) => field.name)],
    answer.keys.map((entry, index) => {
      const pick = h(
        'button',
        { class: 'link', type: 'button', 'data-testid': 'top-key' },
        entry.key || '(empty)',
      );
      pick.addEventListener('click', () => onPick(entry.key));
      return [
        String(index + 1),
        pick,
        h('span', { 'data-testid': 'top-value' }, formatValue(rankedValue(entry.value, answer.by))),
        ...others.map((field) => formatValue(entry.value[field.name])),
      ];
    }),
    { 'data-testid': 'top-table' },
  );
}
