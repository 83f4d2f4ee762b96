/**
 * The archiver benchmark's processes: the producer, the bare-consumer peer and the archiver itself (`oxbow
 * archiver`, the CLI with the app's own defaults), each its own Node process, measured from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BareConsumerResult } from '../peers/bare-kafka-consumer.ts';
import { loadAverage, mainThreadCpuMs, procSample } from './proc-stats.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PINNED_NODE = `${ROOT}node_modules/.bin/node`;
/** The project's pinned Node (the `node` devDependency), else this one. */
export const NODE = existsSync(PINNED_NODE) ? PINNED_NODE : process.execPath;
const PRODUCER = fileURLToPath(new URL('./produce-backlog.ts', import.meta.url));
const BARE = fileURLToPath(new URL('../peers/bare-kafka-consumer.ts', import.meta.url));
const CLI = `${ROOT}apps/cli/src/main.ts`;

/** One measured process run. */
export interface ProcessRun {
  readonly name: string;
  readonly records: number;
  readonly seconds: number;
  readonly cpuMs: number;
  readonly peakRssBytes: number;
  /** CPU time of the main thread alone, where known (the archiver's). */
  readonly mainThreadCpuMs?: number;
  /** 1-minute load average when the run started and ended. */
  readonly loadBefore: number;
  readonly loadAfter: number;
  readonly note?: string;
}

function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(NODE, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function collect(child: ChildProcess): {
  lines: string[];
  errors: string[];
  exited: Promise<number | string>;
} {
  const lines: string[] = [];
  const errors: string[] = [];
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  if (child.stderr) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      // kafkajs's timers on Node 24: noise, not errors.
      if (!/TimeoutNegativeWarning|Timeout duration was set|--trace-warnings/.test(line)) errors.push(line);
    });
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return { lines, errors, exited };
}

/** Creates `topic` and fills it with `events` generated HTTP logs; returns the producer's report. */
export async function produceBacklog(
  topic: string,
  events: number,
  partitions: number,
): Promise<{ events: number; bytes: number; seconds: number }> {
  const child = start([PRODUCER, topic, String(events), String(partitions)]);
  const { lines, errors, exited } = collect(child);
  const code = await exited;
  const last = lines.at(-1);
  if (code !== 0 || !last) throw new Error(`producer exited ${code}: ${errors.slice(-5).join('\n')}`);
  return JSON.parse(last) as { events: number; bytes: number; seconds: number };
}

/** Runs the bare-consumer peer with `client` over the whole topic. */
export async function bareConsumer(
  client: 'kafkajs' | 'platformatic',
  topic: string,
  events: number,
): Promise<ProcessRun> {
  const loadBefore = loadAverage();
  const child = start([BARE, client, topic, String(events)]);
  const { lines, errors, exited } = collect(child);
  const timeout = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const code = await exited;
  clearTimeout(timeout);
  const last = lines.at(-1);
  if (code !== 0 || !last)
    throw new Error(`bare ${client} consumer exited ${code}: ${errors.slice(-5).join('\n')}`);
  const result = JSON.parse(last) as BareConsumerResult;
  return {
    name: `bare ${client} consumer + JSON.parse`,
    records: result.records,
    seconds: result.seconds,
    cpuMs: result.cpuMs,
    peakRssBytes: result.peakRssBytes,
    loadBefore,
    loadAfter: loadAverage(),
  };
}

/** What the archiver's log said about the files it published. */
export interface ArchiverFiles {
  readonly files: number;
  readonly rows: number;
  readonly bytes: number;
  readonly largestBytes: number;
}

/**
 * Runs `oxbow archiver` (the CLI, the app's defaults) over the backlog into `lakeUrl`: from `archiver.started`
 * (partitions assigned and positioned, as the peer's clock starts at its assignment) until every event is
 * published: it is sent SIGTERM at `archiver.caught-up`, which publishes the open files, commits and exits.
 */
export async function archiverRun(
  topic: string,
  events: number,
  lakeUrl: string,
  env: Record<string, string> = {},
  name = 'Oxbow archiver (`oxbow archiver`, defaults) → file:// lake',
): Promise<{ run: ProcessRun; files: ArchiverFiles }> {
  const loadBefore = loadAverage();
  const child = start([CLI, 'archiver'], {
    OXBOW_LAKE: lakeUrl,
    OXBOW_ARCHIVER_TOPICS: `${topic}:http_logs`,
    OXBOW_ARCHIVER_GROUP_ID: `${topic}-archiver-${Math.random().toString(36).slice(2, 8)}`,
    ...env,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the archiver');
  const { errors, exited } = collect(child);
  let startedAt = 0;
  let cpuAtStart = 0;
  let mainAtStart = 0;
  let mainAtEnd = 0;
  let endedAt = 0;
  let cpuAtEnd = 0;
  let peakRss = 0;
  let caughtUpAt = 0;
  const files = { files: 0, rows: 0, bytes: 0, largestBytes: 0 };
  const stdout = child.stdout;
  if (!stdout) throw new Error('no archiver output');
  const done = new Promise<void>((resolve, reject) => {
    createInterface({ input: stdout }).on('line', (line) => {
      let entry: { event?: string; rows?: number; bytes?: number };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      const sample = () => {
        try {
          return procSample(pid);
        } catch {
          return undefined;
        }
      };
      if (entry.event === 'archiver.started') {
        startedAt = performance.now();
        cpuAtStart = sample()?.cpuMs ?? 0;
        mainAtStart = mainThreadCpuMs(pid);
      } else if (entry.event === 'archiver.published') {
        files.files++;
        files.rows += entry.rows ?? 0;
        files.bytes += entry.bytes ?? 0;
        files.largestBytes = Math.max(files.largestBytes, entry.bytes ?? 0);
      } else if (entry.event === 'archiver.caught-up') {
        caughtUpAt = performance.now();
        child.kill('SIGTERM');
      } else if (entry.event === 'archiver.stopped') {
        endedAt = performance.now();
        const end = sample();
        cpuAtEnd = end?.cpuMs ?? 0;
        peakRss = end?.peakRssBytes ?? 0;
        try {
          mainAtEnd = mainThreadCpuMs(pid);
        } catch {
          mainAtEnd = mainAtStart;
        }
        resolve();
      }
    });
    void exited.then((code) => {
      if (endedAt === 0) reject(new Error(`archiver exited ${code}: ${errors.slice(-8).join('\n')}`));
    });
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 600_000);
  try {
    await done;
  } finally {
    clearTimeout(timeout);
  }
  await exited;
  if (files.rows !== events) throw new Error(`the archiver published ${files.rows} of ${events} events`);
  return {
    run: {
      name,
      records: files.rows,
      seconds: (endedAt - startedAt) / 1000,
      cpuMs: cpuAtEnd - cpuAtStart,
      peakRssBytes: peakRss,
      mainThreadCpuMs: mainAtEnd - mainAtStart,
      loadBefore,
      loadAfter: loadAverage(),
      note: `caught up after ${((caughtUpAt - startedAt) / 1000).toFixed(2)} s, then SIGTERM: publish, commit, exit`,
    },
    files,
  };
}
