/** The example's hand-tuned generators: deterministic, valid for their schemas, and shaped as documented. */
import { ViewsError } from '@oxbow/views';
import { describe, expect, it } from 'vitest';
import { generateHttpLogs, HTTP_PATHS } from '../src/http-log-generator.ts';
import { httpLogs, sensorReadings } from '../src/schemas.ts';
import { generateSensorReadings, SENSOR_SITES } from '../src/sensor-reading-generator.ts';

/** Events whose event time is more than 10 s before the latest event time seen before them. */
function lateShare(timestamps: readonly number[]): number {
  let latest = Number.NEGATIVE_INFINITY;
  let late = 0;
  for (const ts of timestamps) {
    if (ts < latest - 10_000) late++;
    latest = Math.max(latest, ts);
  }
  return late / timestamps.length;
}

describe('generateHttpLogs', () => {
  const START_MS = Date.UTC(2026, 10, 24, 0);
  const options = { count: 20_000, seed: 42, startMs: START_MS, ratePerSec: 10 };
  const logs = [...generateHttpLogs(options)];

  it('is deterministic: the same seed gives the same records, another seed others', () => {
    expect([...generateHttpLogs(options)]).toEqual(logs);
    const other = [...generateHttpLogs({ ...options, seed: 43 })];
    expect(other).toHaveLength(logs.length);
    expect(other.slice(0, 100)).not.toEqual(logs.slice(0, 100));
  });

  it('produces valid records only', () => {
    const now = START_MS + 86_400_000;
    const invalid = logs
      .map((log) => httpLogs.parse(JSON.stringify(log), { now }))
      .filter((result) => !result.ok);
    expect(invalid).toEqual([]);
  });

  it('has the documented shape: ~2.5 % 5xx, ~3 % late by up to 2 h, Zipf paths and users', () => {
    const serverErrors = logs.filter((log) => log.status >= 500).length / logs.length;
    expect(serverErrors).toBeGreaterThan(0.015);
    expect(serverErrors).toBeLessThan(0.035);

    const times = logs.map((log) => Date.parse(log.ts));
    expect(lateShare(times)).toBeGreaterThan(0.02);
    expect(lateShare(times)).toBeLessThan(0.04);
    let latest = Number.NEGATIVE_INFINITY;
    let maxLateness = 0;
    for (const ts of times) {
      maxLateness = Math.max(maxLateness, latest - ts);
      latest = Math.max(latest, ts);
    }
    expect(maxLateness).toBeGreaterThan(3_600_000);
    expect(maxLateness).toBeLessThanOrEqual(2 * 3_600_000);

    const hitsByPath = new Map<string, number>();
    for (const log of logs) hitsByPath.set(log.path, (hitsByPath.get(log.path) ?? 0) + 1);
    const ranked = [...hitsByPath.values()].sort((a, b) => b - a);
    expect(hitsByPath.get('/')).toBe(ranked[0]);
    expect((ranked[0] ?? 0) / logs.length).toBeGreaterThan(0.1); // head of the Zipf law
    expect(hitsByPath.size).toBeGreaterThan(HTTP_PATHS.length / 2); // and a long tail

    const users = new Set(logs.map((log) => log.userId));
    expect(users.size).toBeGreaterThan(2000);
    expect(users.size).toBeLessThan(logs.length / 2);
  });

  it('keeps a user in one country, and follows the rate over time', () => {
    const countriesOf = new Map<string, Set<string>>();
    for (const log of logs)
      countriesOf.set(log.userId, (countriesOf.get(log.userId) ?? new Set()).add(log.country));
    expect([...countriesOf.values()].filter((countries) => countries.size > 1)).toEqual([]);
    const onTime = logs.map((log) => Date.parse(log.ts)).filter((ts) => ts >= START_MS);
    const spanSeconds = (Math.max(...onTime) - START_MS) / 1000;
    // 10/s on average over the day, but 00:00–00:33 UTC is near the daily low (factor ≈ 0.48–0.5).
    expect(logs.length / spanSeconds).toBeGreaterThan(4);
    expect(logs.length / spanSeconds).toBeLessThan(6);
  });

  it('checks its options', () => {
    expect(() => [...generateHttpLogs({ ...options, lateFraction: 2 })]).toThrow(ViewsError);
    expect(() => [...generateHttpLogs({ ...options, ratePerSec: 0 })]).toThrow(
      /ratePerSec must be a positive number/,
    );
    expect(() => [...generateHttpLogs({ ...options, count: -1 })]).toThrow(
      /count must be a non-negative integer/,
    );
    expect([...generateHttpLogs({ ...options, count: 0 })]).toEqual([]);
  });
});

describe('generateSensorReadings', () => {
  const START_MS = Date.UTC(2026, 10, 24, 6);
  const options = { count: 5000, seed: 3, startMs: START_MS, ratePerSec: 1, lateFraction: 0.1 };
  const readings = [...generateSensorReadings(options)];

  it('is deterministic and valid', () => {
    expect([...generateSensorReadings(options)]).toEqual(readings);
    expect([...generateSensorReadings({ ...options, seed: 4 })]).not.toEqual(readings);
    const now = START_MS + 86_400_000;
    expect(readings.filter((reading) => !sensorReadings.parse(JSON.stringify(reading), { now }).ok)).toEqual(
      [],
    );
  });

  it('spreads readings over 40 sensors at the known sites, with the requested late share', () => {
    expect(new Set(readings.map((reading) => reading.sensorId)).size).toBe(40);
    const sites = new Set(SENSOR_SITES.map(([site]) => site));
    for (const reading of readings) expect(sites.has(reading.site)).toBe(true);
    const share = lateShare(readings.map((reading) => Date.parse(reading.ts)));
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.12);
  });

  it('gives plausible temperatures around each site base', () => {
    for (const reading of readings) {
      const base = SENSOR_SITES.find(([site]) => site === reading.site)?.[1] ?? Number.NaN;
      expect(Math.abs(reading.temperature - base)).toBeLessThan(10);
      expect(reading.humidity).toBeGreaterThanOrEqual(0);
      expect(reading.humidity).toBeLessThanOrEqual(100);
    }
  });
});
