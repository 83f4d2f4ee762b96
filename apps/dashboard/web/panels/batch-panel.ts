/** The batch layer: the version served (run, watermark) and the last published runs with their durations. */
import { h, note, table } from '../dom.ts';
import { formatDuration, formatNumber, formatTime } from '../format.ts';
import type { ManifestsAnswer } from '../types.ts';

/** Renders the manifest panel. */
export function renderBatch(answer: ManifestsAnswer): HTMLElement[] {
  const current = answer.current;
  const tiles = current
    ? h(
        'div',
        { class: 'tiles' },
        tile('run served', current.runId, 'batch-run'),
        tile('watermark epoch', String(current.watermarkEpoch), 'batch-watermark'),
        tile('covers events appended before', formatTime(current.watermarkThrough)),
        tile('published', formatTime(current.finishedAt)),
        tile('run took', formatDuration(current.durationMs)),
        tile('rows', formatNumber(current.views.reduce((sum, view) => sum + view.rows, 0))),
      )
    : note('no batch version yet: answers are realtime only (run `oxbow batch run`)');
  const runs = table(
    ['run', 'watermark epoch', 'started', 'finished', 'duration', 'read', 'compute', 'write', 'rows'],
    answer.runs.map((run) => [
      run.runId,
      String(run.watermarkEpoch),
      formatTime(run.startedAt),
      formatTime(run.finishedAt),
      h('span', { 'data-testid': 'run-duration' }, formatDuration(run.durationMs)),
      formatDuration(run.durationsMs.read),
      formatDuration(run.durationsMs.compute),
      formatDuration(run.durationsMs.write),
      formatNumber(run.views.reduce((sum, view) => sum + view.rows, 0)),
    ]),
    { 'data-testid': 'batch-runs' },
  );
  return [tiles, h('h3', {}, `last ${answer.runs.length} published runs`), runs];
}

/** A labelled number or text. */
export function tile(label: string, value: string, testId?: string): HTMLElement {
  return h(
    'div',
    { class: 'tile' },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value', 'data-testid': testId }, value),
  );
}
