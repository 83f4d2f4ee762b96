import { describe, expect, it } from 'vitest';
import { parseSensorReading } from '../events/sensor-reading.ts';
import { generateSensorReadings, SENSOR_SITES } from './sensor-readings.ts';

const START_MS = Date.UTC(2026, 10, 24, 6);
const options = { count: 5000, seed: 3, startMs: START_MS, ratePerSec: 1, lateFraction: 0.1 };

describe('generateSensorReadings', () => {
  const readings = [...generateSensorReadings(options)];

  it('is deterministic and valid', () => {
    expect([...generateSensorReadings(options)]).toEqual(readings);
    expect([...generateSensorReadings({ ...options, seed: 4 })]).not.toEqual(readings);
    const now = START_MS + 86_400_000;
    expect(readings.filter((reading) => !parseSensorReading(JSON.stringify(reading), { now }).ok)).toEqual(
      [],
    );
  });

  it('spreads readings over 40 sensors at the known sites, with the requested late share', () => {
    const sensors = new Set(readings.map((reading) => reading.sensorId));
    expect(sensors.size).toBe(40);
    const sites = new Set(SENSOR_SITES.map(([site]) => site));
    for (const reading of readings) expect(sites.has(reading.site)).toBe(true);
    let latest = Number.NEGATIVE_INFINITY;
    let late = 0;
    for (const reading of readings) {
      const ts = Date.parse(reading.ts);
      if (ts < latest - 10_000) late++;
      latest = Math.max(latest, ts);
    }
    expect(late / readings.length).toBeGreaterThan(0.08);
    expect(late / readings.length).toBeLessThan(0.12);
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
