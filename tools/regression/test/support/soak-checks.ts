/**
 * The assertions both soak suites make on a {@link SoakReport}: lag bounded, memory bounded (and printed over
 * time), no 5xx and no request without an answer, no error logged, both processes exit 0 on SIGTERM, and
 * ALL-RECORDS-DELIVERED.
 */
import { expect } from 'vitest';
import { formatSamples, type SoakReport } from './soak.ts';

/** Limits a soak run must stay within. */
export interface SoakLimits {
  /** The most the speed layer may lag behind the newest record (its status's `lagMs`), once warmed up. */
  readonly maxLagMs: number;
  /** The most records produced and not yet committed at a sample, once warmed up. */
  readonly maxBacklog: number;
  /** The most resident memory either process may hold. */
  readonly maxRssMiB: number;
  /**
   * For long runs: the mean resident memory of the last quarter of the samples may exceed that of the third quarter
   * by at most this factor — flat at the end. (Early on the speed layer's cell cache fills up to its bound, and the
   * serving layer's mirror with the epochs no batch run expires: growth that levels off.) Undefined: not checked.
   */
  readonly maxRssGrowth?: number;
}

/** Prints the run and checks it against `limits`. */
export function expectSoakHeld(label: string, report: SoakReport, limits: SoakLimits): void {
  console.log(
    `${label}: ${report.produced} events, ${[...report.statuses].map(([status, n]) => `${n}× ${status}`).join(', ')} API answers, ${report.logLines} log lines:\n${report.firstLogLines.join('\n')}\n${formatSamples(report.samples)}`,
  );
  const warm = report.samples.filter((sample) => sample.atS >= 10);
  expect(warm.length).toBeGreaterThan(0);
  for (const sample of warm) {
    expect(sample.lagMs, `lag at ${sample.atS} s`).toBeLessThanOrEqual(limits.maxLagMs);
    expect(sample.produced - sample.committed, `backlog at ${sample.atS} s`).toBeLessThanOrEqual(
      limits.maxBacklog,
    );
    expect(Math.max(sample.speedRssMiB, sample.servingRssMiB), `RSS at ${sample.atS} s`).toBeLessThanOrEqual(
      limits.maxRssMiB,
    );
  }
  if (limits.maxRssGrowth !== undefined) {
    const quarter = Math.max(1, Math.floor(report.samples.length / 4));
    const mean = (from: number, key: 'speedRssMiB' | 'servingRssMiB' | 'speedHeapMiB') => {
      const part = report.samples.slice(from, from + quarter);
      return part.reduce((sum, sample) => sum + sample[key], 0) / part.length;
    };
    for (const key of ['speedRssMiB', 'servingRssMiB'] as const) {
      expect(mean(report.samples.length - quarter, key), `${key}: last quarter vs third`).toBeLessThanOrEqual(
        mean(report.samples.length - 2 * quarter, key) * limits.maxRssGrowth,
      );
    }
  }
  const serverErrors = [...report.statuses].filter(([status]) => status >= 500);
  expect(serverErrors).toEqual([]);
  expect(report.failedRequests).toBe(0);
  expect(report.statuses.get(200) ?? 0).toBeGreaterThan(0);
  expect(report.errorLines.slice(0, 10)).toEqual([]);
  expect(report.speedExit).toBe(0);
  expect(report.servingExit).toBe(0);
  expect(report.verdicts.http.verdict, report.verdicts.http.summary).toBe('ALL-RECORDS-DELIVERED');
  expect(report.verdicts.sensors.verdict, report.verdicts.sensors.summary).toBe('ALL-RECORDS-DELIVERED');
  console.log(
    `${label}: ${report.verdicts.http.summary.split('\n')[0]}; ${report.verdicts.sensors.summary.split('\n')[0]}`,
  );
}
