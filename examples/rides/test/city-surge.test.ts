/**
 * `city_surge` on a manual clock (`runStream`): both incremental windows against a naive count of the batches
 * in each window, and the live view as the project declares it, built from the speed layer's settings.
 */
import { runStream } from '@oxbow/dataflow/testing';
import { loadProject } from '@oxbow/views';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RIDES_PROJECT } from '../index.ts';
import { type CitySurge, citySurge, presentCitySurge } from '../src/city-surge.ts';
import type { Ride } from '../src/schema.ts';

const T0 = Date.UTC(2026, 10, 24, 18);
const ride = (city: string): Ride => ({ time: T0, city, fareCents: 1200, durationS: 600 });

/** Per city, rides in batches `from … to` (1-based, inclusive). */
function naiveCounts(batches: readonly Ride[][], from: number, to: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let b = Math.max(1, from); b <= to; b++) {
    for (const r of batches[b - 1] ?? []) counts.set(r.city, (counts.get(r.city) ?? 0) + 1);
  }
  return counts;
}

describe('city_surge (citySurge)', () => {
  it('counts each city over the recent and the baseline window, every slide, against a naive count', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.constantFrom('ams', 'ber', 'cph', 'dub'), { maxLength: 6 }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (cities) => {
          const batches = cities.map((batch) => batch.map(ride));
          const out = await runStream(batches, (s) =>
            citySurge(s, { surgeWindowMs: 2000, surgeBaselineMs: 6000, surgeSlideMs: 2000 }),
          );
          expect(out).toHaveLength(Math.floor(batches.length / 2));
          out.forEach((rows, j) => {
            const t = 2 * (j + 1);
            const recent = naiveCounts(batches, t - 1, t);
            const baseline = naiveCounts(batches, t - 5, t);
            const expected = [...recent].map(([city, recentRides]): CitySurge => {
              const baselineRides = baseline.get(city) ?? 0;
              return { city, recentRides, baselineRides, surge: recentRides / 2000 / (baselineRides / 6000) };
            });
            const byCity = (a: CitySurge, b: CitySurge) => (a.city < b.city ? -1 : 1);
            expect([...rows].sort(byCity), `slide ending at batch ${t}`).toEqual(expected.sort(byCity));
          });
        },
      ),
      { numRuns: 15 },
    );
  });

  it('presents the cities by surge, then recent rides, then name', () => {
    const value = presentCitySurge(
      [
        { city: 'b', recentRides: 2, baselineRides: 2, surge: 3 },
        { city: 'a', recentRides: 4, baselineRides: 8, surge: 1.5 },
        { city: 'c', recentRides: 2, baselineRides: 2, surge: 3 },
        { city: 'd', recentRides: 5, baselineRides: 5, surge: 3 },
      ],
      3,
    );
    expect(value.cities).toBe(4);
    expect(value.rides).toBe(13);
    expect(value.top.map((city) => city.city)).toEqual(['d', 'b', 'c']);
  });

  it('refuses windows that are not multiples of the slide, or a baseline not longer than the window', () => {
    expect(() => citySurge({} as never, { surgeWindowMs: 3000, surgeSlideMs: 2000 })).toThrow(
      'city_surge: the window (3000 ms) and the longer baseline (3600000 ms) must be positive multiples of the slide (2000 ms)',
    );
    expect(() =>
      citySurge({} as never, { surgeWindowMs: 4000, surgeBaselineMs: 4000, surgeSlideMs: 2000 }),
    ).toThrow(/must be positive multiples/);
  });

  it('is the project’s live view over ride_events, built from the speed layer settings', async () => {
    const project = await loadProject(RIDES_PROJECT);
    const live = project.liveView('city_surge');
    if (live === undefined) throw new Error('city_surge is missing');
    expect(project.liveViewsOf('ride_events')).toEqual([live]);
    const batches = [[ride('ams'), ride('ams'), ride('ber')], [ride('ams')], [], [ride('ber')]];
    const settings = { surgeWindowMs: 1000, surgeBaselineMs: 4000, surgeSlideMs: 1000 };
    const out = await runStream(batches, (s) => live.build(s as never, settings));
    expect(out.map((rows) => live.present(rows))).toEqual([
      {
        cities: 2,
        rides: 3,
        top: [
          { city: 'ams', recentRides: 2, baselineRides: 2, surge: 4 },
          { city: 'ber', recentRides: 1, baselineRides: 1, surge: 4 },
        ],
      },
      { cities: 1, rides: 1, top: [{ city: 'ams', recentRides: 1, baselineRides: 3, surge: 4 / 3 }] },
      { cities: 0, rides: 0, top: [] },
      { cities: 1, rides: 1, top: [{ city: 'ber', recentRides: 1, baselineRides: 2, surge: 2 }] },
    ]);
  });
});
