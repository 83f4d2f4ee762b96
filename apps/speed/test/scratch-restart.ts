import { generateSensorReadings } from '@oxbow/views';
import { Redis } from 'ioredis';
import { startSpeed } from '../src/index.ts';
import {
  createTestNames,
  FAST_CONSUMER,
  produce,
  TEST_REDIS_URL,
  testConfig,
  waitFor,
} from './support/speed-test-env.ts';

const names = await createTestNames('dbg');
const redis = new Redis(TEST_REDIS_URL);
const recs = [...generateSensorReadings({ count: 600, seed: 1, startMs: Date.now() - 3600_000 })].map((r) =>
  JSON.stringify(r),
);
const cfg = await testConfig(names);
const opts = {
  topics: { sensor_readings: names.sensors },
  deadLetterTopic: names.deadLetters,
  consumer: FAST_CONSUMER,
  views: [] as never[],
  log: (l: string) => console.log(l),
};
const readings = async () => {
  const v = JSON.parse((await redis.get(`${names.prefix}live:sensor_anomalies`)) ?? 'null');
  return v ? v.value.bySensor.reduce((n: number, s: { readings: number }) => n + s.readings, 0) : 0;
};
let speed = await startSpeed(cfg, opts);
await produce(names.sensors, recs.slice(0, 300));
await waitFor(async () => ((await readings()) === 300 ? true : undefined), 20000, '300');
console.log('first', await readings());
await speed.stop();
speed = await startSpeed(cfg, opts);
await produce(names.sensors, recs.slice(300));
await new Promise((r) => setTimeout(r, 5000));
console.log('second', await readings(), speed.status());
await speed.stop();
redis.disconnect();
process.exit(0);
