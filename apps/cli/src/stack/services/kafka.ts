import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OxbowConfig } from '@oxbow/config';
import type { Admin, ITopicConfig } from 'kafkajs';
import { createKafka } from '../../clients.ts';
import { CliError } from '../../errors.ts';
import { requireJava } from '../java.ts';
import { fetchJars } from '../maven.ts';
import { INFRA_DIR } from '../paths.ts';
import type { ServiceDefinition, StackContext } from '../service.ts';
import { renderTemplate } from '../template.ts';

/** The Apache Kafka version the stack runs (passed to infra/kafka/pom.xml as `kafka.version`). */
export const KAFKA_VERSION = '4.1.1';

/**
 * `max.message.bytes` of the dead-letter topic: the broker's default limit of the event topics (1 048 588) plus the
 * 16 KiB of headroom `deadLetterTopicMaxBytes` of @oxbow/connectors adds, so any record an event topic accepted fits
 * whole with its dead-letter headers. The archiver and the speed layer raise it themselves at start when the event
 * topics accept larger records.
 */
export const DEAD_LETTER_MAX_MESSAGE_BYTES = 1_064_972;

/** Partitions of each project topic `stack up` creates. */
export const PROJECT_TOPIC_PARTITIONS = 3;

/** A topic `stack up` creates. */
export interface StackTopic {
  readonly topic: string;
  readonly numPartitions: number;
  /** Topic settings beyond `message.timestamp.type=LogAppendTime`. */
  readonly configs?: Readonly<Record<string, string>>;
}

/**
 * The topics `stack up` creates, all with `message.timestamp.type=LogAppendTime`: every Kafka topic the project
 * binds (its topics, and renamed ones listed in `archiverTopics`/`speedTopics`) with
 * {@link PROJECT_TOPIC_PARTITIONS} partitions, and the dead-letter topic with one and
 * {@link DEAD_LETTER_MAX_MESSAGE_BYTES}. The project is loaded here (not at import), so the other stack commands
 * never read it.
 */
export async function stackTopics(config: OxbowConfig): Promise<StackTopic[]> {
  const { bindTopics, loadProject, resolveProjectPath } = await import('@oxbow/views');
  const project = await loadProject(resolveProjectPath(config.project));
  const topics = new Set<string>();
  for (const setting of [config.archiverTopics, config.speedTopics]) {
    for (const binding of bindTopics(project, setting)) topics.add(binding.kafkaTopic);
  }
  return [
    ...[...topics].map((topic) => ({ topic, numPartitions: PROJECT_TOPIC_PARTITIONS })),
    {
      topic: config.speedDeadLetterTopic,
      numPartitions: 1,
      configs: { 'max.message.bytes': String(DEAD_LETTER_MAX_MESSAGE_BYTES) },
    },
  ];
}

const JVM_OPTIONS = [
  '-Xms128m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
];

function jarDir(config: OxbowConfig): string {
  return join(config.jarCache, `kafka-${KAFKA_VERSION}`);
}

function classpathOptions(config: OxbowConfig): string[] {
  return [
    `-Dlog4j.configuration=file:${join(INFRA_DIR, 'kafka', 'log4j.properties')}`,
    `-Dlog4j2.configurationFile=${join(INFRA_DIR, 'kafka', 'log4j2.properties')}`,
    '-cp',
    join(jarDir(config), '*'),
  ];
}

/**
 * A random KRaft cluster id: 16 random bytes, base64url without padding, never starting with `-` (like
 * Kafka's own `Uuid.randomUuid`, so command lines cannot mistake it for a flag).
 */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function localAddress(config: OxbowConfig): string {
  return `127.0.0.1:${config.kafkaPort}`;
}

/**
 * Asks for a group's offsets until the broker answers, which makes it create and load `__consumer_offsets`
 * now, so the first consumer group does not wait for (and log) "coordinator not available/loading".
 */
async function warmUpGroupCoordinator(admin: Admin, context: StackContext, topic: string): Promise<void> {
  const deadline = context.clock.now() + 30_000;
  for (;;) {
    try {
      await admin.fetchOffsets({
        groupId: 'oxbow-stack-warmup',
        topics: [topic],
      });
      return;
    } catch (error) {
      if (context.clock.now() > deadline) {
        context.say(
          `group coordinator not ready yet (${error instanceof Error ? error.message : error}); continuing`,
        );
        return;
      }
      await context.clock.sleep(250);
    }
  }
}

/** Apache Kafka, one KRaft node acting as broker and controller, run from Maven Central jars. */
export const kafkaService: ServiceDefinition = {
  name: 'kafka',
  optional: false,
  stopGraceMs: 20_000,
  startTimeoutMs: 90_000,
  ports: (config) => [
    { port: config.kafkaPort, setting: 'kafkaPort', env: 'OXBOW_KAFKA_PORT' },
    { port: config.kafkaControllerPort, setting: 'kafkaControllerPort', env: 'OXBOW_KAFKA_CONTROLLER_PORT' },
  ],
  address: localAddress,

  async fetch(context) {
    requireJava();
    if (
      await fetchJars({
        pom: join(INFRA_DIR, 'kafka', 'pom.xml'),
        properties: { 'kafka.version': KAFKA_VERSION },
        targetDir: jarDir(context.config),
      })
    ) {
      context.say(`fetched Kafka ${KAFKA_VERSION} jars into ${jarDir(context.config)}`);
    }
  },

  async prepare(context) {
    const { config } = context;
    const propertiesFile = join(context.serviceDir, 'server.properties');
    const formattedFor = join(context.serviceDir, 'formatted-for.json');
    const listeners = JSON.stringify({
      kafkaPort: config.kafkaPort,
      kafkaControllerPort: config.kafkaControllerPort,
    });
    mkdirSync(context.serviceDir, { recursive: true });
    writeFileSync(
      propertiesFile,
      renderTemplate(join(INFRA_DIR, 'kafka', 'server.properties'), {
        kafkaPort: config.kafkaPort,
        kafkaControllerPort: config.kafkaControllerPort,
        dataDir: context.dataDir,
      }),
    );
    const formatted = existsSync(join(context.dataDir, 'meta.properties'));
    if (formatted && existsSync(formattedFor) && readFileSync(formattedFor, 'utf8') === listeners) return;
    if (formatted)
      context.say('ports changed since the storage was formatted: re-formatting (Kafka data wiped)');
    rmSync(context.dataDir, { recursive: true, force: true });
    const clusterId = randomClusterId();
    const result = spawnSync(
      requireJava(),
      [
        ...classpathOptions(config),
        'kafka.tools.StorageTool',
        'format',
        `--cluster-id=${clusterId}`,
        '--config',
        propertiesFile,
        '--standalone',
      ],
      { encoding: 'utf8' },
    );
    writeFileSync(context.logFile, `${result.stdout ?? ''}${result.stderr ?? ''}`, { flag: 'a' });
    if (result.status !== 0) {
      throw new CliError(
        'OXBOW_SERVICE_START_FAILED',
        `formatting Kafka storage failed: see ${context.logFile}`,
      );
    }
    writeFileSync(formattedFor, listeners);
    context.say(`formatted KRaft storage (cluster id ${clusterId})`);
  },

  command(context) {
    return {
      command: requireJava(),
      args: [
        ...JVM_OPTIONS,
        `-Dkafka.logs.dir=${context.serviceDir}`,
        ...classpathOptions(context.config),
        'kafka.Kafka',
        join(context.serviceDir, 'server.properties'),
      ],
      cwd: context.serviceDir,
    };
  },

  async healthCheck(context) {
    const admin = createKafka(context.config, 'oxbow-stack-health', {
      address: localAddress(context.config),
      quiet: true,
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('no brokers in metadata');
    } finally {
      await admin.disconnect().catch(() => {});
    }
  },

  async setup(context) {
    const kafka = createKafka(context.config, 'oxbow-stack-setup', {
      address: localAddress(context.config),
      silent: true,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const wanted = await stackTopics(context.config);
      const missing: ITopicConfig[] = wanted
        .filter(({ topic }) => !existing.has(topic))
        .map(({ topic, numPartitions, configs }) => ({
          topic,
          numPartitions,
          replicationFactor: 1,
          configEntries: [
            { name: 'message.timestamp.type', value: 'LogAppendTime' },
            ...Object.entries(configs ?? {}).map(([name, value]) => ({ name, value })),
          ],
        }));
      if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
      await warmUpGroupCoordinator(admin, context, wanted[0]?.topic ?? context.config.speedDeadLetterTopic);
      return missing.map(
        ({ topic, numPartitions }) =>
          `created topic ${topic} (${numPartitions} partition${numPartitions === 1 ? '' : 's'}, LogAppendTime)`,
      );
    } finally {
      await admin.disconnect();
    }
  },
};
