import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateSensorReadings } from '@oxbow/views';
import { Redis } from 'ioredis';
import { createTestNames, produce, TEST_REDIS_URL, testEnv, waitFor } from './support/speed-test-env.ts';

const CLI = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const names = await createTestNames('dbgk');
const redis = new Redis(TEST_REDIS_URL);
const recs = [...generateSensorReadings({ count: 600, seed: 1, startMs: Date.now() - 3600_000 })].map((r) =>
  JSON.stringify(r),
);
const env = {
  ...process.env,
  OXBOW_SPEED_DEBUG: '1',
  ...testEnv(names, {
    OXBOW_SPEED_TOPICS: `${names.sensors}:sensor_readings`,
    OXBOW_SPEED_DEAD_LETTER_TOPIC: names.deadLetters,
    OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '2000',
    OXBOW_SPEED_BATCH_MS: '300',
    OXBOW_SPEED_LIVE_WINDOW_MS: '3000',
    OXBOW_SPEED_LIVE_SLIDE_MS: '600',
  }),
};
const start = (i: number) => {
  const c = spawn(process.execPath, [CLI, 'speed'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  c.stderr.on('data', (d) => process.stdout.write(`${i}: ${d}`));
  return c;
};
const readings = async () => {
  const v = JSON.parse((await redis.get(`${names.prefix}live:sensor_anomalies`)) ?? 'null');
  return v ? v.value.bySensor.reduce((n: number, s: { readings: number }) => n + s.readings, 0) : 0;
};
const committed = async () =>
  Number((await redis.hget(`${names.prefix}speed:status`, `records:${names.sensors}`)) ?? 0);
let c = start(0);
await produce(names.sensors, recs.slice(0, 300));
await waitFor(async () => ((await committed()) === 300 ? true : undefined), 20000, '300');
c.kill('SIGKILL');
console.log('after kill: readings', await readings());
c = start(1);
await produce(names.sensors, recs.slice(300));
await waitFor(async () => ((await committed()) === 600 ? true : undefined), 20000, '600');
await new Promise((r) => setTimeout(r, 1500));
console.log('final readings', await readings());
c.kill('SIGTERM');
redis.disconnect();
