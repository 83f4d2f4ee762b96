/**
 * The Grafana dashboard (infra/grafana/oxbow.json) is built on metrics the apps register: every PromQL expression
 * names at least one series, every series it names is one the speed layer, the archiver, the batch layer, the
 * serving API, the ingest gateway or the process metrics register (histograms by their `_bucket`, `_sum`, `_count`), and `rate` /
 * `increase` only take counters or histogram series. The panels the operations guide describes are there.
 */
import { readFileSync } from 'node:fs';
import { ArchiverMetrics } from '@oxbow/archiver';
import { BatchMetrics } from '@oxbow/batch';
import { processMetricsRegistry } from '@oxbow/connectors';
import { IngestMetrics } from '@oxbow/ingest';
import { ServingMetrics } from '@oxbow/serving';
import { SpeedMetrics } from '@oxbow/speed';
import { beforeAll, describe, expect, it } from 'vitest';

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly type: string; readonly uid: string };
  readonly targets?: ReadonlyArray<{ readonly expr: string; readonly refId: string }>;
}

const dashboard = JSON.parse(
  readFileSync(new URL('../../../infra/grafana/oxbow.json', import.meta.url), 'utf8'),
) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string }> };
};
const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
const expressions = panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
);

/** Series name → the type of its metric family (`counter`, `gauge`, `histogram`, …). */
const registered = new Map<string, string>();

beforeAll(async () => {
  const registries: Array<{ getMetricsAsJSON(): Promise<Array<{ name: string; type: unknown }>> }> = [
    new SpeedMetrics(1000).registry,
    new ArchiverMetrics().registry,
    new BatchMetrics().registry,
    new ServingMetrics().registry,
    new IngestMetrics().registry,
    processMetricsRegistry(),
  ];
  for (const registry of registries) {
    for (const metric of await registry.getMetricsAsJSON()) {
      const type = String(metric.type);
      registered.set(metric.name, type);
      if (type === 'histogram') {
        for (const suffix of ['_bucket', '_sum', '_count']) registered.set(`${metric.name}${suffix}`, type);
      }
    }
  }
});

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/** The series names an expression reads: identifiers that are not functions, keywords, labels or numbers. */
function seriesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice((match.index ?? 0) + match[0].length).trimStart();
    if (!after.startsWith('(') && !PROMQL_WORDS.has(match[0])) names.push(match[0]);
  }
  return names;
}

describe('infra/grafana/oxbow.json', () => {
  it('is a dashboard on a Prometheus data source variable, with unique panel ids', () => {
    expect(dashboard.uid).toBe('oxbow-platform');
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource' }),
    );
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      // Grafana's own variable syntax, not a template string.
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: `$${'{datasource}'}` });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });

  it('has the panels of the operations guide', () => {
    const titles = panels.map((panel) => panel.title);
    for (const title of [
      'Speed layer lag',
      'Micro-batch processing time vs the interval',
      'Records per second',
      'Dead letters',
      'API latency p99 by route',
      'Archiver files and bytes published',
      'Batch run duration',
    ]) {
      expect(titles).toContain(title);
    }
  });

  it('reads only series the apps register, each expression at least one', () => {
    expect(registered.size).toBeGreaterThan(50);
    for (const { panel, expr } of expressions) {
      const series = seriesOf(expr);
      expect(series.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of series) expect(registered.has(name), `${panel}: ${name} in ${expr}`).toBe(true);
    }
  });

  it('takes rate() and increase() of counters and histogram series only', () => {
    for (const { panel, expr } of expressions) {
      for (const match of expr.matchAll(/\b(?:rate|irate|increase)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g)) {
        const name = match[1] ?? '';
        expect(['counter', 'histogram'], `${panel}: ${name}`).toContain(registered.get(name));
      }
    }
  });

  it('finds a series the apps do not register (the check can fail)', () => {
    expect(seriesOf('sum by (topic) (rate(oxbow_speed_recordz_total{topic="a"}[1m])) / 1e-9')).toEqual([
      'oxbow_speed_recordz_total',
    ]);
    expect(registered.has('oxbow_speed_recordz_total')).toBe(false);
  });
});
