/**
 * Runs the archiver from Oxbow's configuration (what `oxbow archiver` calls): opens the lake, archives until the
 * signal aborts, then flushes, publishes, commits and closes the lake.
 */
import { availableParallelism } from 'node:os';
import type { OxbowConfig } from '@oxbow/config';
import { type FileSystem, type OperationsServer, openFileSystem, serveOperations } from '@oxbow/connectors';
import { loadProject, resolveProjectPath } from '@oxbow/views';
import { type ArchiverLogger, jsonLineLogger } from './archive-log.ts';
import { Archiver, type ArchiverOptions, type ArchiverStats } from './archiver.ts';
import { ArchiverMetrics } from './archiver-metrics.ts';
import { ArchiverError } from './errors.ts';
import { archiverTopicsOf } from './event-schemas.ts';

/** The settings the archiver reads. */
export type ArchiverConfig = Pick<
  OxbowConfig,
  | 'lake'
  | 'epochMs'
  | 'kafkaBrokers'
  | 's3Endpoint'
  | 's3AccessKey'
  | 's3SecretKey'
  | 's3Region'
  | 'project'
  | 'archiverTopics'
  | 'archiverGroupId'
  | 'archiverRollRows'
  | 'archiverRollBytes'
  | 'archiverRollMs'
> &
  /** `archiverHealthPort`: `/healthz` and `/metrics` on `healthHost` (default 127.0.0.1; port absent or 0: none). */
  Partial<Pick<OxbowConfig, 'archiverHealthPort' | 'healthHost'>>;

/** Extra knobs for {@link runArchiver} beyond the configuration (tests, embedding). */
export type ArchiverOverrides = Partial<Omit<ArchiverOptions, 'lake' | 'brokers' | 'topics' | 'groupId'>>;

/**
 * Attempts of each S3 request of the archiver: exponential back-off with jitter (capped at 20 s a wait) spreads 15
 * of them over about a minute, so an S3 endpoint that restarts is ridden out (no request waits on the archiver).
 */
const ARCHIVER_S3_ATTEMPTS = 15;

/** Opens the lake URL of the configuration with its S3 credentials (WebHDFS uses simple auth, user `oxbow`). */
export function openLake(
  config: Pick<ArchiverConfig, 'lake' | 's3Endpoint' | 's3AccessKey' | 's3SecretKey' | 's3Region'>,
): FileSystem {
  return openFileSystem(config.lake, {
    s3: {
      endpoint: config.s3Endpoint,
      accessKeyId: config.s3AccessKey,
      secretAccessKey: config.s3SecretKey,
      region: config.s3Region,
      forcePathStyle: true,
      maxAttempts: ARCHIVER_S3_ATTEMPTS,
    },
    hdfs: { user: process.env.HADOOP_USER_NAME ?? 'oxbow' },
  });
}

/**
 * Where `runArchiver` validates records: `OXBOW_ARCHIVER_VALIDATION` (`main` or `encoder`), else the encoder threads
 * on four cores or more and the main thread below that.
 */
export function validationIn(
  setting: string | undefined = process.env.OXBOW_ARCHIVER_VALIDATION,
  cores: number = availableParallelism(),
): 'main' | 'encoder' {
  if (setting === 'main' || setting === 'encoder') return setting;
  if (setting !== undefined && setting.trim() !== '') {
    throw new ArchiverError(
      'OXBOW_ARCHIVER_BAD_OPTIONS',
      `OXBOW_ARCHIVER_VALIDATION must be main or encoder, got ${JSON.stringify(setting)}`,
    );
  }
  return cores >= 4 ? 'encoder' : 'main';
}

/**
 * Serves the archiver's `/healthz` and `/metrics` on `host`:`port`; a port that cannot be bound (another
 * process has it) is logged as `archiver.health-unavailable` and the archiver runs on without it.
 */
async function serveArchiverOperations(
  host: string,
  port: number,
  metrics: ArchiverMetrics,
  archiver: Archiver,
  log: ArchiverLogger,
): Promise<OperationsServer | undefined> {
  try {
    const server = await serveOperations({
      host,
      port,
      registry: metrics.registry,
      health: () => ({
        healthy: metrics.state === 'running',
        body: { state: metrics.state, ...archiver.stats },
      }),
    });
    log({
      level: 'info',
      event: 'archiver.health',
      url: `${server.url}/healthz`,
      metrics: `${server.url}/metrics`,
    });
    return server;
  } catch (error) {
    log({ level: 'warn', event: 'archiver.health-unavailable', port, error: String(error) });
    return undefined;
  }
}

/**
 * Archives the configured topics into the configured lake until `signal` aborts; resolves with the run's counters
 * after a graceful stop. With `archiverHealthPort`, `GET /healthz` (200 while running) and `GET /metrics`
 * (Prometheus) are served on that port of `healthHost` (default 127.0.0.1) meanwhile.
 *
 * @example
 * const controller = new AbortController();
 * process.once('SIGTERM', () => controller.abort());
 * await runArchiver((await loadConfig()).config, controller.signal);
 */
export async function runArchiver(
  config: ArchiverConfig,
  signal: AbortSignal,
  overrides: ArchiverOverrides & { log?: ArchiverLogger } = {},
): Promise<ArchiverStats> {
  const projectPath = resolveProjectPath(config.project);
  const project = await loadProject(projectPath);
  const topics = archiverTopicsOf(project, config.archiverTopics);
  const lake = openLake(config);
  const metrics = new ArchiverMetrics();
  const log = overrides.log ?? jsonLineLogger();
  let operations: OperationsServer | undefined;
  try {
    const archiver = new Archiver({
      lake,
      brokers: config.kafkaBrokers,
      topics,
      groupId: config.archiverGroupId,
      epochMs: config.epochMs,
      rollRows: config.archiverRollRows,
      rollBytes: config.archiverRollBytes,
      rollMs: config.archiverRollMs,
      // Where records are validated (docs/design/0006): in the encoder threads, which load the same project, so
      // this thread only fetches and keeps books; or on this thread, which costs less CPU and memory in all and
      // archives as fast on two cores (measured), so that is the default below four cores.
      ...(validationIn() === 'encoder'
        ? { validateInEncoder: { project: projectPath, topics: config.archiverTopics } }
        : {}),
      ...overrides,
      log: (event) => {
        metrics.observe(event);
        log(event);
      },
    });
    metrics.watch({ stats: () => archiver.stats, source: () => archiver.sourceMetrics() });
    const port = config.archiverHealthPort ?? 0;
    if (port > 0)
      operations = await serveArchiverOperations(
        config.healthHost ?? '127.0.0.1',
        port,
        metrics,
        archiver,
        log,
      );
    return await archiver.run(signal).catch((error: unknown) => {
      metrics.state = 'failed';
      throw error;
    });
  } finally {
    await operations?.close();
    await lake.close();
  }
}
