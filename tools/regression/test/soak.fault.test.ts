/**
 * The 60-second soak CI runs (issue 13): `oxbow speed` and `oxbow serve` on the web-analytics example while events
 * arrive at half a modest rate (500 events/s) and four loopback clients query the API the whole time. Lag stays
 * bounded, resident memory is sampled every 5 s (printed), no request fails or gets a 5xx, nothing is logged as an
 * error, both processes exit 0 on SIGTERM, and the verifier finds ALL-RECORDS-DELIVERED. The 10-minute run is
 * `soak.slow.test.ts` (`npm run test:regression`). `OXBOW_SOAK_MS` changes the length.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../apps/speed/test/support/speed-test-env.ts';
import { runSoak } from './support/soak.ts';
import { expectSoakHeld } from './support/soak-checks.ts';

const DURATION_MS = Number(process.env.OXBOW_SOAK_MS ?? 60_000);
const redis = new Redis(TEST_REDIS_URL);
afterAll(() => redis.disconnect());

describe('soak: 60 s at half a modest rate with the API under load', () => {
  it(
    'keeps lag and memory bounded, answers every request, logs no error: ALL-RECORDS-DELIVERED',
    async () => {
      const report = await runSoak(redis, { label: 'soak', durationMs: DURATION_MS });
      expectSoakHeld('soak 60 s', report, { maxLagMs: 30_000, maxBacklog: 15_000, maxRssMiB: 1_536 });
    },
    DURATION_MS + 420_000,
  );
});
