/** The example project as every layer loads it: its topics, views, live views and generators, and their checks. */
import { loadProject } from '@oxbow/views';
import { describe, expect, it } from 'vitest';
import { WEB_ANALYTICS_PROJECT } from '../index.ts';
import { LIVE_VIEW_NAMES } from '../src/live-views.ts';
import { PAGE_VIEWS_HLL_PRECISION, statusClass } from '../src/views.ts';

describe('the web-analytics project', () => {
  it('loads from oxbow.project.ts with its topics, views, live views and generators', async () => {
    const project = await loadProject(WEB_ANALYTICS_PROJECT);
    expect([...project.topics.keys()]).toEqual(['http_logs', 'sensor_readings']);
    expect(
      project.views.map((view) => [view.name, view.topic, view.bucketMs, view.keyField ?? '(function)']),
    ).toEqual([
      ['page_views_hourly', 'http_logs', 3_600_000, 'path'],
      ['country_daily', 'http_logs', 86_400_000, 'country'],
      ['status_minutely', 'http_logs', 60_000, '(function)'],
      ['sensor_hourly', 'sensor_readings', 3_600_000, 'sensorId'],
    ]);
    expect(project.liveViews.map((view) => view.name)).toEqual([...LIVE_VIEW_NAMES]);
    expect([...project.generators.keys()]).toEqual(['http_logs', 'sensor_readings']);
    const fingerprints = project.views.map((view) => view.fingerprint);
    expect(new Set(fingerprints).size).toBe(4);
    for (const fingerprint of fingerprints) expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('describes its fields by kind, with the sketches’ parameters', async () => {
    const project = await loadProject(WEB_ANALYTICS_PROJECT);
    const pages = project.view('page_views_hourly');
    expect(pages.fields.map((field) => [field.name, field.kind])).toEqual([
      ['hits', 'count'],
      ['errors', 'count'],
      ['bytes', 'sum'],
      ['uniqueUsers', 'distinct'],
      ['latencyMs', 'quantiles'],
    ]);
    expect(pages.fields[3]?.aggregator.parameters).toEqual({ precision: PAGE_VIEWS_HLL_PRECISION });
    expect(project.view('country_daily').fields[1]?.aggregator.parameters).toEqual({ precision: 14 });
    expect(project.view('sensor_hourly').fields.map((field) => field.kind)).toEqual([
      'count',
      'mean',
      'min',
      'max',
    ]);
  });

  it('keys status_minutely by status class', () => {
    expect([100, 200, 299, 304, 404, 500, 599].map(statusClass)).toEqual([
      '1xx',
      '2xx',
      '2xx',
      '3xx',
      '4xx',
      '5xx',
      '5xx',
    ]);
  });
});
