/**
 * The speed layer: state, lag (time and records), throughput (records per second between refreshes, charted),
 * and records and dead letters per Kafka topic. The dead-lettered records themselves, with the reasons they were
 * refused, are in the dead-letter Kafka topic: no API reads them, so the page shows the counts and the speed
 * layer's last error.
 */
import type uPlot from 'uplot';
import { drawChart } from '../chart.ts';
import { h, note, table } from '../dom.ts';
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
  output.replaceChildren(
    tiles,
    chartCell,
    topics,
    note(
      answer.lastError
        ? `last error: ${answer.lastError}`
        : 'dead-lettered records and the reasons they were refused are in the dead-letter Kafka topic (OXBOW_SPEED_DEAD_LETTER_TOPIC); no API serves them',
      answer.lastError ? 'error' : 'info',
    ),
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
