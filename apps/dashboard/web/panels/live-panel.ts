/** The live (speed-only) views: the value the speed layer last wrote, or why it cannot be shown. */
import { describeFailure } from '../api.ts';
import { h } from '../dom.ts';
import { formatTime } from '../format.ts';
import type { LiveAnswer, LiveViewInfo } from '../types.ts';

/** The longest JSON shown per live view. */
const MAX_CHARS = 4000;

/**
 * The speed layer stores a live view as `{ view, batchTime, updatedAt, value }`: the value and when it was
 * written; anything else is shown as it is.
 */
function unwrap(stored: unknown): { value: unknown; updatedAt: string | undefined } {
  if (typeof stored === 'object' && stored !== null && 'value' in stored && 'updatedAt' in stored) {
    const updatedAt =
      typeof stored.updatedAt === 'number' ? new Date(stored.updatedAt).toISOString() : undefined;
    return { value: stored.value, updatedAt };
  }
  return { value: stored, updatedAt: undefined };
}

/** Renders one live view's card from its answer (or its failure). */
export function renderLiveView(info: LiveViewInfo, result: LiveAnswer | Error): HTMLElement {
  let body: HTMLElement;
  if (result instanceof Error) {
    body = h('p', { class: 'note error' }, describeFailure(result));
  } else if (result.value === null || result.value === undefined) {
    body = h('p', { class: 'note' }, 'no value yet (the speed layer has not written this view)');
  } else {
    const { value, updatedAt } = unwrap(result.value);
    const text = JSON.stringify(value, null, 2);
    body = h(
      'div',
      {},
      updatedAt === undefined ? null : h('p', { class: 'note' }, `written ${formatTime(updatedAt)}`),
      h('pre', {}, text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}\n…` : text),
    );
  }
  return h(
    'div',
    { class: 'card live', 'data-testid': `live-${info.name}` },
    h('h3', {}, info.name, info.personal ? h('span', { class: 'badge personal' }, 'personal') : null),
    h('p', { class: 'description' }, `${info.description} (topic ${info.topic})`),
    body,
  );
}
