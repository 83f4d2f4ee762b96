/**
 * Runs the archiver from Oxbow's configuration (what `oxbow archiver` calls): opens the lake, archives until the
 * signal aborts, then flushes, publishes, commits and closes the lake.
 */
import { availableParallelism } from 'node:os';
import type { OxbowConfig } from '@oxbow/config';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import { loadProject, resolveProjectPath } from '@oxbow/views';
import { type ArchiverLogger, jsonLineLogger } from './archive-log.ts';
import { Archiver, type ArchiverOptions, type ArchiverStats } from './archiver.ts';
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
>;

/** Extra knobs for {@link runArchiver} beyond the configuration (tests, embedding). */
export type ArchiverOverrides = Partial<Omit<ArchiverOptions, 'lake' | 'brokers' | 'topics' | 'groupId'>>;

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
 * Archives the configured topics into the configured lake until `signal` aborts; resolves with the run's counters
 * after a graceful stop.
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
      log: jsonLineLogger(),
      ...overrides,
    });
    return await archiver.run(signal);
  } finally {
    await lake.close();
  }
}
