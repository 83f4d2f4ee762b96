/**
 * The 10-minute soak (issue 13), only in `npm run test:regression`: as `soak.fault.test.ts` (half a modest rate,
 * the API under load, lag bounded, no 5xx, no error logged, ALL-RECORDS-DELIVERED), for ten minutes, and resident
 * memory flat at the end: the mean of the last quarter of the samples at most 1.15 × that of the third quarter, for
 * both processes (printed over time; the speed layer's cell cache fills up to its bound in the first minutes). `OXBOW_SOAK_SLOW_MS` changes the length.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../apps/speed/test/support/speed-test-env.ts';
import { runSoak } from './support/soak.ts';
import { expectSoakHeld } from './support/soak-checks.ts';

const DURATION_MS = Number(process.env.OXBOW_SOAK_SLOW_MS ?? 600_000);
const redis = new Redis(TEST_REDIS_URL);
afterAll(() => redis.disconnect());

describe('soak: 10 minutes at half a modest rate with the API under load', () => {
  it(
    'keeps lag bounded and memory flat, answers every request, logs no error: ALL-RECORDS-DELIVERED',
    async () => {
      const report = await runSoak(redis, {
        label: 'soak-long',
        durationMs: DURATION_MS,
        sampleEveryMs: 15_000,
      });
      expectSoakHeld('soak 10 min', report, {
        maxLagMs: 30_000,
        maxBacklog: 15_000,
        maxRssMiB: 1_536,
        maxRssGrowth: 1.15,
      });
    },
    DURATION_MS + 420_000,
  );
});
