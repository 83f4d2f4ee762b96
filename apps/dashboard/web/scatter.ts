/**
 * A scatter of 2-D points (uPlot, points without lines), each labelled with its number: the centers of a k-means
 * model over two features, numbered as in the table beside it.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** What one scatter shows. */
export interface ScatterSpec {
  readonly title: string;
  /** The points, `[x, y]`; point `i` is labelled `i + 1`. */
  readonly points: readonly (readonly [number, number])[];
  readonly xLabel: string;
  readonly yLabel: string;
}

/** Writes each point's number beside it. */
function labelPoints(labels: readonly string[]) {
  return (chart: uPlot) => {
    const { ctx } = chart;
    const xs = chart.data[0];
    const ys = chart.data[1] ?? [];
    ctx.save();
    ctx.fillStyle = '#1f2937';
    ctx.font = `${Math.round(11 * uPlot.pxRatio)}px system-ui, sans-serif`;
    for (let index = 0; index < xs.length; index++) {
      const x = xs[index];
      const y = ys[index];
      if (x === undefined || y === undefined || y === null) continue;
      ctx.fillText(
        labels[index] ?? '',
        chart.valToPos(x, 'x', true) + 7 * uPlot.pxRatio,
        chart.valToPos(y, 'y', true) - 5 * uPlot.pxRatio,
      );
    }
    ctx.restore();
  };
}

/** A scale's range with a tenth of its span (or of its value, for a single value) of room on each side. */
function padded(_chart: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null) return [min, max];
  const pad = (max - min) / 10 || Math.abs(min) / 10 || 1;
  return [min - pad, max + pad];
}

/** Draws the scatter into `container` (replacing what was there); returns it so it can be destroyed. */
export function drawScatter(container: HTMLElement, spec: ScatterSpec): uPlot {
  container.replaceChildren();
  // uPlot wants x ascending: sort the points, keeping each one's number.
  const order = spec.points.map((point, index) => ({ point, label: String(index + 1) }));
  order.sort((a, b) => a.point[0] - b.point[0]);
  const options: uPlot.Options = {
    title: spec.title,
    width: Math.max(280, container.clientWidth || 420),
    height: 220,
    scales: { x: { time: false, range: padded }, y: { range: padded } },
    axes: [{ label: spec.xLabel }, { label: spec.yLabel }],
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    series: [
      { label: spec.xLabel },
      {
        label: spec.yLabel,
        stroke: '#2563eb',
        fill: 'rgba(37, 99, 235, 0.35)',
        paths: () => null,
        points: { show: true, size: 9 },
      },
    ],
    hooks: { draw: [labelPoints(order.map((entry) => entry.label))] },
  };
  const data: uPlot.AlignedData = [
    order.map((entry) => entry.point[0]),
    order.map((entry) => entry.point[1]),
  ];
  return new uPlot(options, data, container);
}
