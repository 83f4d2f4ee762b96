/**
 * The view explorer: one key's buckets over a range as a chart per field (batch and realtime parts shaded), the
 * total over the range, and the buckets as a table with the part each comes from.
 */
import type uPlot from 'uplot';
import { type ChartSpec, drawChart } from '../chart.ts';
import { fill, h, note, table } from '../dom.ts';
import { formatTime, formatValue, isQuantiles } from '../format.ts';
import { bucketPart } from '../parts.ts';
import type { ViewAnswer, ViewInfo } from '../types.ts';

const charts: uPlot[] = [];

/** The charts of a view's fields: numbers as one line, quantiles as p50/p95/p99; other kinds are not charted. */
function chartSpecs(view: ViewInfo, answer: ViewAnswer, watermarkMs: number | null): ChartSpec[] {
  const times = answer.buckets.map((bucket) => Date.parse(bucket.bucket) / 1000);
  const specs: ChartSpec[] = [];
  for (const field of view.fields) {
    const values = answer.buckets.map((bucket) => bucket.value[field.name]);
    const base = { title: `${field.name} — ${field.description || field.kind}`, times, watermarkMs };
    if (values.some(isQuantiles)) {
      specs.push({
        ...base,
        bucketMs: view.bucketMs,
        series: (['p50', 'p95', 'p99'] as const).map((p) => ({
          label: p,
          values: values.map((value) => (isQuantiles(value) ? value[p] : null)),
        })),
      });
    } else if (values.every((value) => typeof value === 'number' || value === null)) {
      specs.push({
        ...base,
        bucketMs: view.bucketMs,
        series: [{ label: field.name, values: values as (number | null)[] }],
      });
    }
  }
  return specs;
}

/** Renders the explorer's result for `answer` into `output`. */
export function renderExplorer(
  output: HTMLElement,
  view: ViewInfo,
  answer: ViewAnswer,
  watermarkMs: number | null,
): void {
  for (const chart of charts.splice(0)) chart.destroy();
  const freshness = answer.freshness;
  const summary = h(
    'p',
    { class: 'freshness', 'data-testid': 'explorer-freshness' },
    `${answer.buckets.length} buckets of key "${answer.key}" · batch run ${freshness.batchRunId ?? 'none'} (watermark epoch ${freshness.batchWatermarkEpoch ?? '—'}${watermarkMs === null ? '' : `, events appended before ${formatTime(new Date(watermarkMs).toISOString())}`}) · realtime through ${formatTime(freshness.realtimeThrough)}`,
  );
  const legend = h(
    'p',
    { class: 'legend' },
    h('span', { class: 'swatch batch' }),
    ' batch part  ',
    h('span', { class: 'swatch realtime' }),
    ' realtime part (by the batch watermark time; late events of a batch bucket come from realtime)',
  );
  const totals = table(
    ['field', 'total over the range'],
    view.fields.map((field) => [
      field.name,
      h('span', { 'data-testid': `total-${field.name}` }, formatValue(answer.total[field.name])),
    ]),
    { 'data-testid': 'explorer-totals' },
  );
  const chartGrid = h('div', { class: 'charts' });
  const buckets = [...answer.buckets].reverse().slice(0, 200);
  const bucketTable = table(
    ['bucket', 'part', ...view.fields.map((field) => field.name)],
    buckets.map((bucket) => {
      const part = bucketPart(Date.parse(bucket.bucket), view.bucketMs, watermarkMs);
      return [
        formatTime(bucket.bucket),
        h('span', { class: `badge part-${part}` }, part),
        ...view.fields.map((field) => formatValue(bucket.value[field.name])),
      ];
    }),
    { 'data-testid': 'explorer-buckets' },
  );
  fill(
    output,
    summary,
    legend,
    totals,
    answer.buckets.length === 0 ? note('no buckets in this range') : chartGrid,
    answer.buckets.length > 200 ? note(`the newest 200 of ${answer.buckets.length} buckets:`) : null,
    h('details', {}, h('summary', {}, 'buckets'), bucketTable),
  );
  if (answer.buckets.length === 0) return;
  for (const spec of chartSpecs(view, answer, watermarkMs)) {
    const cell = h('div', { class: 'chart', 'data-testid': 'explorer-chart' });
    chartGrid.append(cell);
    charts.push(drawChart(cell, spec));
  }
}
