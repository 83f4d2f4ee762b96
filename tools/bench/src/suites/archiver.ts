/**
 * `npm run bench -- archiver`: events/s and CPU per event of the archiver (Kafka → Parquet lake) beside a bare
 * Kafka consumer that only JSON.parses every value, on the same backlog of generated HTTP access logs (the
 * web-analytics example's real `http_logs` schema) in a 3-partition topic. Producer, peers and the archiver each
 * run in their own process; the archiver is `oxbow archiver` with the app's own defaults, into a file:// lake.
 * CPU is user + system time from /proc, RSS the process's peak (VmHWM). Each run is repeated and the median
 * reported, with the load average around it (the machine is shared). Needs the local stack.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { loadAverage } from '../archiver/proc-stats.ts';
import { archiverRun, bareConsumer, type ProcessRun, produceBacklog } from '../archiver/processes.ts';
import { formatNumber, machineLine } from '../report.ts';

const BROKERS = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',');
const EVENTS = 300_000;
const PARTITIONS = 3;
const REPEATS = Number(process.env.OXBOW_BENCH_REPEATS ?? 3);
/** The archiver validating on its main thread, and in its encoder threads (`OXBOW_ARCHIVER_VALIDATION`). */
const ARCHIVER_VARIANTS: ReadonlyArray<readonly [string, Record<string, string>, string]> = [
  [
    'main',
    { OXBOW_ARCHIVER_VALIDATION: 'main' },
    'Oxbow archiver, validation on the main thread, 1 encoder thread (the default below 4 cores) → file:// lake',
  ],
  [
    'encoder',
    { OXBOW_ARCHIVER_VALIDATION: 'encoder' },
    'Oxbow archiver, validation in 2 encoder threads (the default from 4 cores) → file:// lake',
  ],
];

function median(runs: readonly ProcessRun[]): ProcessRun {
  const sorted = [...runs].sort((a, b) => a.records / a.seconds - b.records / b.seconds);
  return sorted[Math.floor((sorted.length - 1) / 2)] as ProcessRun;
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

/** Runs the suite and returns the Markdown section. */
export async function runArchiverSuite(options: { scale: number }): Promise<string> {
  const events = Math.round(EVENTS * options.scale);
  const topic = `bench-archiver-${randomUUID().slice(0, 8)}`;
  const lakeDir = resolve('.oxbow/bench', `archiver-lake-${topic}`);
  const produced = await produceBacklog(topic, events, PARTITIONS);
  console.log(
    `produced ${formatNumber(events)} events (${mib(produced.bytes)} MiB) in ${produced.seconds.toFixed(1)} s`,
  );
  const runs = new Map<string, ProcessRun[]>();
  const record = (run: ProcessRun) => {
    runs.set(run.name, [...(runs.get(run.name) ?? []), run]);
    console.log(
      `${run.name}: ${formatNumber(run.records / run.seconds)} events/s, ${((run.cpuMs * 1000) / run.records).toFixed(1)} µs CPU/event, load ${run.loadBefore}→${run.loadAfter}`,
    );
  };
  let files = { files: 0, rows: 0, bytes: 0, largestBytes: 0 };
  const clients: Array<'kafkajs' | 'platformatic'> = ['kafkajs'];
  // The other client of decision 0007, when an installation is named (it is not a dependency of the project).
  if (process.env.OXBOW_BENCH_PLATFORMATIC_KAFKA) clients.push('platformatic');
  try {
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      for (const client of clients) record(await bareConsumer(client, topic, events));
      for (const [variant, env, name] of ARCHIVER_VARIANTS) {
        const lake = join(lakeDir, `${repeat}-${variant}`);
        await mkdir(lake, { recursive: true });
        const result = await archiverRun(topic, events, pathToFileURL(lake).href, env, name);
        record(result.run);
        if (variant === 'main') files = result.files;
        await rm(lake, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(lakeDir, { recursive: true, force: true });
    const kafka = new Kafka({ clientId: 'oxbow-bench', brokers: BROKERS, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
  const medians = [...runs.values()].map(median);
  const baseline = medians.find((run) => run.name.startsWith('bare kafkajs'));
  const baseRate = baseline ? baseline.records / baseline.seconds : undefined;
  const table = [
    '| run | events | seconds | events/s | vs bare kafkajs | CPU µs/event | CPU vs bare | main thread µs/event | peak RSS MiB | load avg (before→after) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...medians.map((run) => {
      const rate = run.records / run.seconds;
      const cpu = (run.cpuMs * 1000) / run.records;
      const baseCpu = baseline ? (baseline.cpuMs * 1000) / baseline.records : undefined;
      const main =
        run.mainThreadCpuMs === undefined ? '–' : ((run.mainThreadCpuMs * 1000) / run.records).toFixed(1);
      return `| ${run.name} | ${formatNumber(run.records)} | ${run.seconds.toFixed(2)} | ${formatNumber(rate)} | ${baseRate ? `${(rate / baseRate).toFixed(2)}×` : '–'} | ${cpu.toFixed(1)} | ${baseCpu ? `${(cpu / baseCpu).toFixed(2)}×` : '–'} | ${main} | ${mib(run.peakRssBytes)} | ${run.loadBefore} → ${run.loadAfter} |`;
    }),
  ].join('\n');
  const every = [...runs.values()]
    .flat()
    .map(
      (run) =>
        `${run.name.includes('main thread') ? 'archiver (main-thread validation)' : run.name.includes('encoder threads') ? 'archiver (encoder-thread validation)' : run.name.split(' ').slice(0, 2).join(' ')} ${formatNumber(run.records / run.seconds)}/s (load ${run.loadBefore})`,
    )
    .join('; ');
  const archiverNote = medians.find((run) => run.note)?.note;
  console.log(table);
  return [
    '## Archiver (`npm run bench -- archiver`)',
    '',
    `Machine: ${machineLine()}. ${formatNumber(events)} generated HTTP access logs (the web-analytics example's`,
    `\`http_logs\`, ${Math.round(produced.bytes / events)} bytes of JSON each) already in a ${PARTITIONS}-partition LogAppendTime topic of the local stack`,
    '(a backlog run: every reader starts at the earliest offset). Producer, bare consumers and archiver each run in',
    'their own process. Clocks start when the process has its partitions (the bare consumer at its group',
    'assignment, the archiver at `archiver.started`) and stop at the last record parsed (bare) or when every event',
    'is published in the lake (archiver: SIGTERM at `archiver.caught-up` publishes the open files and commits). CPU',
    'is user + system time over the same span from /proc/<pid>/stat, all threads (the archiver validates and encodes',
    'in its encoder threads, or validates on its main thread and encodes in one thread), and of the main thread alone from',
    '/proc/<pid>/task/<pid>/stat; RSS the peak',
    `(VmHWM). Median of ${REPEATS} runs by events/s; the machine is shared, so the load average is shown with each`,
    'row and CPU per event is the steadier figure.',
    '',
    table,
    '',
    `- Archiver output: ${files.files} files for ${formatNumber(files.rows)} events (${(files.bytes / 2 ** 20).toFixed(1)} MiB of zstd Parquet, largest ${(files.largestBytes / 2 ** 20).toFixed(1)} MiB): one file per partition and epoch, as the defaults (\`rollRows\` 200 000, \`rollMs\` 60 s) leave a backlog of this size. ${archiverNote ?? ''}`,
    `- Every run: ${every}.`,
    `- Load average at the end of the suite: ${loadAverage()}.`,
  ].join('\n');
}
