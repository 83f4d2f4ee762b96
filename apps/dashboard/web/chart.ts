/**
 * A time-series chart of one field (uPlot): one line per series (a quantiles field has p50, p95, p99), the time
 * before the batch watermark shaded as batch and the time after it as realtime.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** The fill of the batch part and of the realtime part of a chart. */
export const PART_COLOURS = {
  batch: 'rgba(59, 130, 246, 0.10)',
  realtime: 'rgba(245, 158, 11, 0.14)',
} as const;

const LINE_COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea'];

/** What one chart shows. */
export interface ChartSpec {
  readonly title: string;
  /** Bucket starts, seconds since the epoch. */
  readonly times: readonly number[];
  readonly series: readonly { readonly label: string; readonly values: readonly (number | null)[] }[];
  /** The batch watermark time (ms), `null` without a batch version. */
  readonly watermarkMs: number | null;
  readonly bucketMs: number;
  /** Shade the batch and realtime parts (default true). */
  readonly shade?: boolean;
}

/** Shades the plot area left of the watermark as batch and right of it as realtime. */
function shadeParts(watermarkMs: number | null) {
  return (chart: uPlot) => {
    const { ctx, bbox } = chart;
    const left = bbox.left;
    const right = bbox.left + bbox.width;
    let split = left;
    if (watermarkMs !== null) {
      const x = chart.valToPos(watermarkMs / 1000, 'x', true);
      split = Math.min(right, Math.max(left, x));
    }
    ctx.save();
    ctx.fillStyle = PART_COLOURS.batch;
    ctx.fillRect(left, bbox.top, split - left, bbox.height);
    ctx.fillStyle = PART_COLOURS.realtime;
    ctx.fillRect(split, bbox.top, right - split, bbox.height);
    ctx.restore();
  };
}

/** Draws the chart into `container` (replacing what was there); returns it so it can be destroyed. */
export function drawChart(container: HTMLElement, spec: ChartSpec): uPlot {
  container.replaceChildren();
  const width = Math.max(280, container.clientWidth || 480);
  // One bucket's width of room past the last start, so the last bucket's point is not on the edge.
  const lastTime = spec.times.at(-1);
  const firstTime = spec.times[0];
  const options: uPlot.Options = {
    title: spec.title,
    width,
    height: 200,
    scales: {
      x: {
        time: true,
        ...(firstTime !== undefined && lastTime !== undefined
          ? { range: [firstTime, lastTime + spec.bucketMs / 1000] as uPlot.Range.MinMax }
          : {}),
      },
    },
    series: [
      {},
      ...spec.series.map((series, index) => ({
        label: series.label,
        stroke: LINE_COLOURS[index % LINE_COLOURS.length] ?? '#2563eb',
        width: 1.5,
        points: { show: spec.times.length < 60 },
      })),
    ],
    hooks: spec.shade === false ? {} : { drawClear: [shadeParts(spec.watermarkMs)] },
  };
  const data: uPlot.AlignedData = [
    [...spec.times],
    ...spec.series.map((series) => series.values.map((value) => value ?? null)),
  ];
  return new uPlot(options, data, container);
}
