/**
 * The verifier's verdict on the speed layer: the produced HTTP logs and sensor readings, counted by plain DuckDB
 * SQL per view key and hour of event time, against the counts the increments in Redis add up to
 * (`page_views_hourly.hits`, `sensor_hourly.count`, every epoch and partition merged — what the serving layer
 * answers while no batch view covers them). A record lost shows as LESS, one counted twice as MORE.
 */
import type { RedisLayout } from '@oxbow/contracts';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { type DeliveryReport, deliveryVerdict } from '@oxbow/testing-tools';
import { loadProject } from '@oxbow/views';
import type { Redis } from 'ioredis';
import { realtimeRows } from '../../../../apps/speed/test/support/speed-test-env.ts';

const HOUR_OF_TS = '(epoch_ms(CAST(ts AS TIMESTAMPTZ)) // 3600000) * 3600000';

/** One verdict per topic: `http` over `page_views_hourly`, `sensors` over `sensor_hourly`. */
export async function speedVerdicts(
  redis: Redis,
  layout: RedisLayout,
  http: readonly object[],
  sensors: readonly object[],
): Promise<{ http: DeliveryReport; sensors: DeliveryReport }> {
  const project = await loadProject(WEB_ANALYTICS_PROJECT);
  const viewNamed = (name: string) => {
    const view = project.views.find((v) => v.name === name);
    if (!view) throw new Error(`the example has no view ${name}`);
    return view;
  };
  const counts = async (name: string, field: string) =>
    (await realtimeRows(redis, layout, viewNamed(name))).map((row) => ({
      key: `${row.key}|${row.bucketStartMs}`,
      n: Number(row.value[field]),
    }));
  return {
    http: await deliveryVerdict({
      produced: { columns: { ts: 'VARCHAR', path: 'VARCHAR' }, records: http },
      expected: `SELECT path || '|' || ${HOUR_OF_TS} AS key, count(*) AS n FROM produced GROUP BY ALL`,
      delivered: { rows: await counts('page_views_hourly', 'hits') },
    }),
    sensors: await deliveryVerdict({
      produced: { columns: { ts: 'VARCHAR', sensorId: 'VARCHAR' }, records: sensors },
      expected: `SELECT sensorId || '|' || ${HOUR_OF_TS} AS key, count(*) AS n FROM produced GROUP BY ALL`,
      delivered: { rows: await counts('sensor_hourly', 'count') },
    }),
  };
}
