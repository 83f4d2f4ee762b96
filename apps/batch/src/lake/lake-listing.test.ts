import { describe, expect, it } from 'vitest';
import { classifyTopicFiles, completeThrough, watermarkEpoch } from './lake-listing.ts';

const files = (topic: string, entries: Array<[epoch: number, name: string]>) =>
  entries.map(([epoch, name]) => ({ path: `events/${topic}/epoch=${epoch}/${name}`, size: 1 }));

describe('watermarkEpoch', () => {
  const http = classifyTopicFiles(
    'http_logs',
    files('http_logs', [
      [10, 'part-0-0-9.parquet'],
      [10, '_sealed'],
      [11, 'part-0-10-19.parquet'],
      [11, '.part-0-20-29.parquet.oxbow-tmp-ab'],
      [11, '_sealed'],
      [12, 'part-0-20-29.parquet'],
      [13, 'part-1-0-4.parquet'],
      [13, '_sealed'],
    ]),
  );
  const sensors = classifyTopicFiles(
    'sensor_readings',
    files('sensor_readings', [
      [10, 'part-0-0-3.parquet'],
      [10, '_sealed'],
    ]),
  );

  it('stops before the first unsealed epoch holding files, even if a later one is sealed', () => {
    expect(http.files.map((file) => file.epoch)).toEqual([10, 11, 12, 13]);
    expect(completeThrough(http)).toBe(11);
  });

  it('is the smallest complete epoch over the topics, capped by untilEpoch; empty topics do not count', () => {
    expect(watermarkEpoch([http, sensors])).toBe(10);
    expect(watermarkEpoch([http])).toBe(11);
    expect(watermarkEpoch([http], 10)).toBe(10);
    expect(watermarkEpoch([http, classifyTopicFiles('sensor_readings', [])])).toBe(11);
    const unsealed = classifyTopicFiles(
      'sensor_readings',
      files('sensor_readings', [[10, 'part-0-0-3.parquet']]),
    );
    expect(watermarkEpoch([http, unsealed])).toBeUndefined();
  });
});
