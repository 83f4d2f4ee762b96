/**
 * A soak run (issue 13): `oxbow speed` and `oxbow serve` as processes on the web-analytics example while HTTP logs
 * and sensor readings are produced at a steady rate for a given time and a loopback load generator queries the
 * API at the same time. Every few seconds it samples the speed layer's lag (its status hash) and both processes'
 * resident memory (`/proc/<pid>/status`); at the end it waits for the speed layer to commit everything, stops
 * both processes with SIGTERM, and asks the verifier for a verdict on the increments (`speedVerdicts`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { RedisLayout } from '@oxbow/contracts';
import { generateHttpLogs, generateSensorReadings } from '@oxbow/example-web-analytics';
import type { DeliveryReport } from '@oxbow/testing-tools';
import type { Redis } from 'ioredis';
import {
  createTestNames,
  produce,
  testEnv,
  waitFor,
} from '../../../../apps/speed/test/support/speed-test-env.ts';
import { freePort } from './private-redis.ts';
import {
  committedRecords,
  removeSpeedTestData,
  waitForEveryRecordCommitted,
  withRecentLogs,
} from './speed-fault-run.ts';
import { stopProcess } from './speed-process.ts';
import { speedVerdicts } from './speed-verdict.ts';

const CLI = fileURLToPath(new URL('../../../../apps/cli/src/main.ts', import.meta.url));

/**
 * A modest produce rate for the shared 2-core development machine and CI (events per second over both topics):
 * the speed layer alone folds well over 10 times this (docs/benchmarks.md); the soak runs at half of it.
 */
export const MODEST_RATE_PER_SEC = 1_000;

/** Options of {@link runSoak}. */
export interface SoakOptions {
  readonly label: string;
  /** How long events are produced (and the API loaded). */
  readonly durationMs: number;
  /** Events per second over both topics (80 % HTTP logs, 20 % sensor readings). Default half the modest rate. */
  readonly ratePerSec?: number;
  /** Time between samples. Default 5 s. */
  readonly sampleEveryMs?: number;
  /** Concurrent API clients. Default 4. */
  readonly clients?: number;
}

/** One sample of the run. */
export interface SoakSample {
  /** Seconds since production started. */
  readonly atS: number;
  readonly produced: number;
  readonly committed: number;
  /** The speed layer's lag as its status says (`lagMs`, `lagRecords`). */
  readonly lagMs: number;
  readonly lagRecords: number;
  /** Estimated MiB of the cell states the speed layer caches (bounded by its memory setting). */
  readonly cachedCellsMiB: number;
  /** The speed layer's V8 heap in use (`nodejs_heap_size_used_bytes` of its `/metrics`), MiB. */
  readonly speedHeapMiB: number;
  /** Resident memory of `oxbow speed` and `oxbow serve`, MiB. */
  readonly speedRssMiB: number;
  readonly servingRssMiB: number;
  /** API requests answered so far. */
  readonly requests: number;
}

/** What a soak run saw. */
export interface SoakReport {
  readonly samples: readonly SoakSample[];
  readonly produced: number;
  /** Answers by HTTP status. */
  readonly statuses: ReadonlyMap<number, number>;
  /** Requests that got no answer at all (connection errors). */
  readonly failedRequests: number;
  /** Log lines of both processes (the first 20), how many, and those that report an error. */
  readonly firstLogLines: readonly string[];
  readonly logLines: number;
  readonly errorLines: readonly string[];
  /** Exit codes (or signals) of the SIGTERMed processes. */
  readonly speedExit: number | string;
  readonly servingExit: number | string;
  readonly verdicts: { readonly http: DeliveryReport; readonly sensors: DeliveryReport };
}

/** A log line reporting an error: pino levels error/fatal, or an error the apps print in text. */
export function isErrorLine(line: string): boolean {
  if (/"level":\s*(50|60)\b/.test(line) || /"level":\s*"(error|fatal)"/.test(line)) return true;
  // Text lines: an error's name (`KafkaSourceError: …`) or words saying something failed.
  return (
    /(Error:|\bfailed\b|\bcould not\b|\buncaught\b|\bunhandled\b)/i.test(line) &&
    !/"level":\s*(30|40)\b/.test(line)
  );
}

/** Resident memory of a process in MiB (0 when it is gone). */
function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

function spawnCli(args: readonly string[], env: Record<string, string>, logs: string[], label: string) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: child.stdout }).on('line', (line) => logs.push(`${label}: ${line}`));
  createInterface({ input: child.stderr }).on('line', (line) => logs.push(`${label} err: ${line}`));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return { process: child, exited };
}

/** Formats the samples as a table (one line per sample). */
export function formatSamples(samples: readonly SoakSample[]): string {
  const lines = [
    '   t s  produced  committed  backlog  lag ms  lag records  cells MiB  speed heap MiB  speed RSS MiB  serve RSS MiB  requests',
  ];
  for (const s of samples) {
    lines.push(
      `${String(s.atS).padStart(6)}  ${String(s.produced).padStart(8)}  ${String(s.committed).padStart(9)}  ${String(s.produced - s.committed).padStart(7)}  ${String(s.lagMs).padStart(6)}  ${String(s.lagRecords).padStart(11)}  ${String(s.cachedCellsMiB).padStart(9)}  ${String(s.speedHeapMiB).padStart(14)}  ${String(s.speedRssMiB).padStart(13)}  ${String(s.servingRssMiB).padStart(13)}  ${String(s.requests).padStart(8)}`,
    );
  }
  return lines.join('\n');
}

/**
 * Runs a soak (see the module comment) and returns what it saw; throws only when the run itself cannot proceed
 * (a process that does not start, records never all committed).
 *
 * @example
 * const report = await runSoak(redis, { label: 'soak', durationMs: 60_000 });
 * expect(report.verdicts.http.verdict).toBe('ALL-RECORDS-DELIVERED');
 */
export async function runSoak(redis: Redis, options: SoakOptions): Promise<SoakReport> {
  const rate = options.ratePerSec ?? MODEST_RATE_PER_SEC / 2;
  const sampleEveryMs = options.sampleEveryMs ?? 5_000;
  const names = await createTestNames(options.label);
  const layout = new RedisLayout(names.prefix);
  const stateDir = mkdtempSync(join(tmpdir(), `oxbow-${options.label}-state-`));
  const port = await freePort();
  let speedHealthPort = await freePort();
  // Two free ports asked one after the other can be the same one.
  while (speedHealthPort === port) speedHealthPort = await freePort();
  const env = testEnv(names, {
    OXBOW_EPOCH_MS: '60000',
    OXBOW_STATE_DIR: stateDir,
    OXBOW_SERVING_CACHE_DIR: join(stateDir, 'serving-cache'),
    OXBOW_API_RATE_LIMIT: '100000000',
    OXBOW_SPEED_HEALTH_PORT: String(speedHealthPort),
  });
  const speedHeapMiB = async () => {
    const text = await fetch(`http://127.0.0.1:${speedHealthPort}/metrics`)
      .then((response) => response.text())
      .catch(() => '');
    const match = /^nodejs_heap_size_used_bytes\s+([0-9.e+]+)/m.exec(text);
    return match ? Math.round(Number(match[1]) / 2 ** 20) : 0;
  };
  const logs: string[] = [];
  const seconds = Math.ceil(options.durationMs / 1000);
  const startMs = Date.now();
  const http = [
    ...generateHttpLogs({
      count: Math.round(seconds * rate * 0.8),
      seed: 71,
      startMs,
      ratePerSec: rate * 0.8,
    }),
  ];
  const sensors = [
    ...generateSensorReadings({
      count: Math.round(seconds * rate * 0.2),
      seed: 72,
      startMs,
      ratePerSec: rate * 0.2,
    }),
  ];
  const speed = spawnCli(['speed'], env, logs, 'speed');
  const serving = spawnCli(['serve', '--port', String(port)], env, logs, 'serve');
  const url = `http://127.0.0.1:${port}`;
  const statuses = new Map<number, number>();
  let failedRequests = 0;
  let requests = 0;
  let loading = true;
  try {
    const committed = () => committedRecords(redis, layout, names);
    await waitFor(
      async () => {
        if (speed.process.exitCode !== null || serving.process.exitCode !== null)
          throw new Error(`a process exited: ${logs.slice(-20).join('\n')}`);
        const status = await redis.hget(layout.status(), 'state');
        const healthy = await fetch(`${url}/healthz`)
          .then((response) => response.status === 200)
          .catch(() => false);
        return status === 'running' && healthy ? true : undefined;
      },
      120_000,
      'oxbow speed running and oxbow serve answering',
    );

    // The API under load for the whole run: views listing, keys of two views, the speed status.
    const paths = [...new Set(http.slice(0, 2_000).map((log) => log.path))].slice(0, 20);
    const targets = [
      '/v1/views',
      '/v1/speed/status',
      ...paths.map((path) => `/v1/views/page_views_hourly?key=${encodeURIComponent(path)}`),
      '/v1/views/status_minutely?key=2xx',
      `/v1/views/sensor_hourly?key=${encodeURIComponent(sensors[0]?.sensorId ?? 'none')}`,
    ];
    const client = async (seed: number) => {
      for (let i = seed; loading; i++) {
        const target = targets[i % targets.length] as string;
        try {
          const response = await fetch(`${url}${target}`);
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        } catch {
          failedRequests++;
        }
        requests++;
      }
    };
    const clients = Array.from({ length: options.clients ?? 4 }, (_, i) => client(i * 7));

    // Production at a steady rate, in ticks of 200 ms, and samples meanwhile.
    const samples: SoakSample[] = [];
    const started = Date.now();
    let producedHttp = 0;
    let producedSensors = 0;
    let nextSample = started;
    const takeSample = async (produced: number): Promise<SoakSample> => {
      const status = await redis.hgetall(layout.status());
      return {
        atS: Math.round((Date.now() - started) / 1000),
        produced,
        committed: await committed(),
        lagMs: Number(status.lagMs ?? 0),
        lagRecords: Number(status.lagRecords ?? 0),
        cachedCellsMiB: Math.round(Number(status.cachedCellBytes ?? 0) / 2 ** 20),
        speedHeapMiB: await speedHeapMiB(),
        speedRssMiB: rssMiB(speed.process.pid),
        servingRssMiB: rssMiB(serving.process.pid),
        requests,
      };
    };
    while (producedHttp < http.length || producedSensors < sensors.length) {
      const elapsed = Date.now() - started;
      const wantHttp = Math.min(http.length, Math.ceil((elapsed / options.durationMs) * http.length));
      const wantSensors = Math.min(
        sensors.length,
        Math.ceil((elapsed / options.durationMs) * sensors.length),
      );
      if (wantHttp > producedHttp) {
        await produce(
          names.http,
          http.slice(producedHttp, wantHttp).map((e) => JSON.stringify(e)),
          `h${producedHttp}-`,
        );
        producedHttp = wantHttp;
      }
      if (wantSensors > producedSensors) {
        await produce(
          names.sensors,
          sensors.slice(producedSensors, wantSensors).map((e) => JSON.stringify(e)),
          `s${producedSensors}-`,
        );
        producedSensors = wantSensors;
      }
      if (Date.now() >= nextSample) {
        samples.push(await takeSample(producedHttp + producedSensors));
        nextSample += sampleEveryMs;
      }
      await sleep(200);
    }
    const produced = http.length + sensors.length;
    await waitForEveryRecordCommitted(
      committed,
      produced,
      'every record to be committed',
      withRecentLogs(logs, 40),
      180_000,
    );
    samples.push(await takeSample(produced));
    loading = false;
    await Promise.all(clients);
    const speedExit = await stopProcess(speed.process as ChildProcess, speed.exited);
    const servingExit = await stopProcess(serving.process as ChildProcess, serving.exited);
    const verdicts = await speedVerdicts(redis, layout, http, sensors);
    return {
      samples,
      produced,
      statuses,
      failedRequests,
      firstLogLines: logs.slice(0, 20),
      logLines: logs.length,
      errorLines: logs.filter(isErrorLine),
      speedExit,
      servingExit,
      verdicts,
    };
  } finally {
    loading = false;
    for (const child of [speed.process, serving.process]) if (child.exitCode === null) child.kill('SIGKILL');
    await removeSpeedTestData(redis, names, stateDir);
  }
}
