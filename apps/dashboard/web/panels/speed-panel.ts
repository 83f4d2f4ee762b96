/**
 * The speed layer: state, lag (time and records), throughput (records per second between refreshes, charted),
 * records and dead letters per Kafka topic, and the latest dead letters with the reasons they were refused (the
 * records themselves are in the dead-letter Kafka topic). Every API string is written as text.
 */
import type uPlot from 'uplot';
import { drawChart } from '../chart.ts';
import { deadLetterRows, deadLettersNote } from '../dead-letters.ts';
import { fill, h, note, table } from '../dom.ts';
import { formatDuration, formatNumber, formatTime } from '../format.ts';
import type { ThroughputHistory } from '../throughput.ts';
import type { SpeedAnswer } from '../types.ts';
import { tile } from './batch-panel.ts';

let chart: uPlot | undefined;

/** Renders the speed panel into `output`. */
export function renderSpeed(output: HTMLElement, answer: SpeedAnswer, history: ThroughputHistory): void {
  chart?.destroy();
  chart = undefined;
  if (!answer.reported) {
    output.replaceChildren(note('the speed layer has not reported yet (is `oxbow speed` running?)'));
    return;
  }
  const rate = history.latestRate();
  const tiles = h(
    'div',
    { class: 'tiles' },
    tile('state', `${answer.state ?? '—'}${answer.rebuilding ? ' (replaying)' : ''}`, 'speed-state'),
    tile('lag', formatDuration(answer.lagMs), 'speed-lag'),
    tile('lag (records)', formatNumber(answer.lagRecords), 'speed-lag-records'),
    tile('realtime through', formatTime(answer.realtimeThrough)),
    tile('throughput', rate === null ? '— (next refresh)' : `${formatNumber(rate)} records/s`, 'speed-rate'),
    tile('last micro-batch took', formatDuration(answer.lastBatchMs)),
    tile('micro-batches', formatNumber(answer.batches)),
    tile('dead-lettered', formatNumber(answer.deadLettered), 'speed-dead-lettered'),
  );
  const topics = table(
    ['Kafka topic', 'records', 'dead-lettered', 'dead-lettered %'],
    answer.topics.map((topic) => [
      topic.topic,
      h('span', { 'data-testid': `speed-records-${topic.topic}` }, formatNumber(topic.records)),
      h('span', { 'data-testid': `speed-dead-${topic.topic}` }, formatNumber(topic.deadLettered)),
      topic.records + topic.deadLettered === 0
        ? '—'
        : `${formatNumber((100 * topic.deadLettered) / (topic.records + topic.deadLettered))} %`,
    ]),
    { 'data-testid': 'speed-topics' },
  );
  const chartCell = h('div', { class: 'chart' });
  // An older serving app (or speed layer) has no list: none to show.
  const letters = deadLetterRows(answer.recentDeadLetters ?? []);
  const deadLetters = h(
    'div',
    { 'data-testid': 'dead-letters' },
    h('h3', {}, 'Dead letters'),
    letters.length === 0
      ? null
      : table(
          ['time', 'Kafka topic', 'partition', 'offset', 'reason'],
          letters.map((letter) => [
            letter.time,
            letter.topic,
            letter.partition,
            h('span', { 'data-testid': 'dead-letter-offset' }, letter.offset),
            h('span', { class: 'reason', 'data-testid': 'dead-letter-reason' }, letter.reason),
          ]),
          { class: 'dead-letters', 'data-testid': 'dead-letters-table' },
        ),
    note(deadLettersNote(answer.deadLettered, letters.length)),
  );
  fill(
    output,
    tiles,
    chartCell,
    topics,
    deadLetters,
    answer.lastError ? note(`last error: ${answer.lastError}`, 'error') : null,
    h('p', { class: 'note' }, `status written ${formatTime(answer.updatedAt)}`),
  );
  const { times, rates } = history.rates();
  if (times.length >= 2) {
    chart = drawChart(chartCell, {
      title: 'records/s',
      times,
      series: [{ label: 'records/s', values: rates }],
      watermarkMs: null,
      bucketMs: 0,
      shade: false,
    });
  } else {
    chartCell.append(note('the throughput chart starts after two refreshes'));
  }
}
