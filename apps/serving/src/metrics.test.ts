import { describe, expect, it } from 'vitest';
import { ServingMetrics } from './metrics.ts';

/** The sample lines of `name` (any labels) in an exposition. */
function lines(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('ServingMetrics', () => {
  it('renders requests by method/route/status and a cumulative latency histogram per route', async () => {
    const metrics = new ServingMetrics();
    metrics.observe('GET', '/v1/views/:view', 200, 0.0004);
    metrics.observe('GET', '/v1/views/:view', 200, 0.003);
    metrics.observe('GET', '/v1/views/:view', 304, 0.02);
    metrics.observe('GET', '/healthz', 200, 30);
    const text = await metrics.render();
    expect(text).toContain('# TYPE oxbow_http_requests_total counter');
    expect(lines(text, 'oxbow_http_requests_total')).toEqual([
      'oxbow_http_requests_total{method="GET",route="/v1/views/:view",status="200"} 2',
      'oxbow_http_requests_total{method="GET",route="/v1/views/:view",status="304"} 1',
      'oxbow_http_requests_total{method="GET",route="/healthz",status="200"} 1',
    ]);
    expect(text).toContain('# TYPE oxbow_http_request_duration_seconds histogram');
    const buckets = lines(text, 'oxbow_http_request_duration_seconds_bucket').filter((line) =>
      line.includes('route="/v1/views/:view"'),
    );
    expect(buckets.slice(0, 4)).toEqual([
      'oxbow_http_request_duration_seconds_bucket{route="/v1/views/:view",le="0.001"} 1',
      'oxbow_http_request_duration_seconds_bucket{route="/v1/views/:view",le="0.005"} 2',
      'oxbow_http_request_duration_seconds_bucket{route="/v1/views/:view",le="0.01"} 2',
      'oxbow_http_request_duration_seconds_bucket{route="/v1/views/:view",le="0.025"} 3',
    ]);
    expect(buckets.at(-1)).toBe(
      'oxbow_http_request_duration_seconds_bucket{route="/v1/views/:view",le="+Inf"} 3',
    );
    expect(text).toContain('oxbow_http_request_duration_seconds_count{route="/v1/views/:view"} 3');
    expect(text).toContain('oxbow_http_request_duration_seconds_count{route="/healthz"} 1');
    // Above the last bound: only in +Inf.
    expect(text).toContain('oxbow_http_request_duration_seconds_bucket{route="/healthz",le="10"} 0');
    expect(text).toContain('oxbow_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"} 1');
    const sum = Number(lines(text, 'oxbow_http_request_duration_seconds_sum')[0]?.split(' ')[1]);
    expect(sum).toBeCloseTo(0.0234, 10);
  });

  it('types the readings: _total as counters, the rest as gauges, 0 (-1 for the watermark) before watch', async () => {
    const metrics = new ServingMetrics();
    let switches = 0;
    const text = await metrics.render();
    expect(text).toContain('# TYPE oxbow_serving_manifest_switches_total counter');
    expect(text).toContain('# TYPE oxbow_serving_answer_cache_bytes gauge');
    expect(text).toContain('oxbow_serving_batch_watermark_epoch -1');
    metrics.watch({
      manifestSwitches: () => switches,
      manifestPollFailures: () => 0,
      duckdbOpenFiles: () => 1,
      batchWatermarkEpoch: () => 481_234,
      batchCells: () => 10,
      batchModelBytes: () => 2048,
      answerCacheHits: () => 5,
      answerCacheMisses: () => 2,
      answerCacheBytes: () => 512,
      realtimeProbes: () => 0,
      realtimeAnnouncements: () => 0,
      realtimeRereads: () => 0,
      realtimeReloads: () => 1,
      rankingsRunning: () => 0,
      rankingsWaiting: () => 0,
    });
    switches = 3;
    const watched = await metrics.render();
    expect(watched).toContain('oxbow_serving_manifest_switches_total 3');
    expect(watched).toContain('oxbow_serving_batch_watermark_epoch 481234');
    expect(watched).toContain('# TYPE process_cpu_seconds_total counter');
  });
});
