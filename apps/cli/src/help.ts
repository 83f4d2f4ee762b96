import { readFileSync } from 'node:fs';
import { flagOf, SETTING_NAMES, type SettingName, settingSpec } from '@oxbow/config';

/** One command of the `oxbow` command line, for `oxbow --help` and `oxbow <command> --help`. */
interface CommandHelp {
  /** The usage line(s), after `oxbow `. */
  readonly usage: readonly string[];
  readonly summary: string;
  /** Its own flags: flag → meaning. */
  readonly flags?: Readonly<Record<string, string>>;
  /** The settings it reads: exact names, or prefixes ending in `*`. */
  readonly settings: readonly string[];
}

const S3 = ['s3Endpoint', 's3AccessKey', 's3SecretKey', 's3Region', 's3Bucket'];

const COMMANDS: Readonly<Record<string, CommandHelp>> = {
  stack: {
    usage: [
      'stack up [--with hdfs|mqtt|redis-cluster]',
      'stack down',
      'stack status [--json]',
      'stack logs SERVICE [-f] [-n N]',
      'stack fetch [--with …]',
    ],
    summary:
      "the local stack on loopback: Kafka (KRaft), Redis and S3Proxy (+ HDFS, Mosquitto, a three-node Redis Cluster); `up` creates the project's topics",
    flags: {
      '--with SERVICE': 'also start an optional service (hdfs, mqtt, redis-cluster); repeatable',
      '--json': 'status as JSON',
      '-f, --follow': 'logs: keep following',
      '-n, --lines N': 'logs: how many lines',
    },
    settings: [
      'stateDir',
      'jarCache',
      '*Port',
      'project',
      'archiverTopics',
      'speedTopics',
      'speedDeadLetterTopic',
    ],
  },
  config: {
    usage: ['config [--json] [--show-secrets]'],
    summary: 'the effective configuration and where each value came from',
    flags: { '--json': 'as JSON', '--show-secrets': 'do not mask secrets' },
    settings: ['*'],
  },
  status: {
    usage: ['status [--json]'],
    summary:
      'the whole platform in one table: stack services, archiver, speed layer (lag, last batch), batch manifest (run, watermark), serving API, dead letters',
    flags: { '--json': 'as JSON' },
    settings: [
      'stateDir',
      '*Port',
      'kafkaBrokers',
      'redisUrl',
      'redisPrefix',
      'lake',
      ...S3,
      'apiHost',
      'healthHost',
      'speedDeadLetterTopic',
    ],
  },
  views: {
    usage: ['views list [--json]', 'views check [--json]', 'views describe NAME [--json]'],
    summary: 'what the project defines (topics, views, live views), checked, with each view fingerprint',
    flags: { '--json': 'as JSON' },
    settings: ['project'],
  },
  start: {
    usage: ['start'],
    summary:
      'the main job: stack up, then the archiver, the speed layer, the API and demo traffic for the project; a batch run per sealed epoch (Ctrl-C stops)',
    settings: ['*'],
  },
  demo: {
    usage: ['demo'],
    summary: 'a smoke round trip through Kafka, Redis, S3 and DuckDB on the local stack',
    settings: ['kafkaBrokers', 'redisUrl', ...S3],
  },
  archiver: {
    usage: ['archiver'],
    summary:
      'archive the project topics into the Parquet lake, exactly once (SIGTERM: flush, commit, exit 0)',
    settings: [
      'project',
      'lake',
      'epochMs',
      'kafkaBrokers',
      ...S3,
      'archiver*',
      'speedDeadLetterTopic',
      'healthHost',
    ],
  },
  speed: {
    usage: ['speed'],
    summary: 'the speed layer: the project views on Kafka micro-batches → Redis increments and live views',
    settings: [
      'project',
      'lake',
      'epochMs',
      'kafkaBrokers',
      'redisUrl',
      'redisPrefix',
      'manifestPollMs',
      'speed*',
      'healthHost',
    ],
  },
  batch: {
    usage: [
      'batch run [--views a,b] [--until-epoch E] [--engine rdd|duckdb|auto] [--full] [--json]',
      'batch schedule --cron "0 2 * * *" [same flags]',
      'batch run --index I [--count N] [--views a,b] [--until-epoch E] [--engine E] [--json]',
      'batch merge [--count N] [--views a,b] [--until-epoch E] [--json]',
    ],
    summary:
      'recompute the project views from the sealed epochs of the lake and publish them (schedule: on a cron, UTC; run --index, then merge: one run split across machines, a Kubernetes Indexed Job)',
    flags: {
      '--views a,b': 'only these views',
      '--until-epoch E': 'stop at epoch E',
      '--engine E': 'rdd, duckdb (views compiled to SQL) or auto (default)',
      '--full': 'recompute everything instead of merging new epochs into the previous version',
      '--json': 'progress as JSON lines',
      '--cron EXPR': 'schedule: when to run',
      '--index I':
        'run: compute only part I (0 … N−1; else JOB_COMPLETION_INDEX when set) of a split run and stage its states under views/_parts/, publishing nothing',
      '--count N': 'run --index, merge: the number of parts (else OXBOW_BATCH_PARTS)',
    },
    settings: ['project', 'lake', 'epochMs', ...S3, 'batch*', 'archiverTopics', 'healthHost'],
  },
  serve: {
    usage: ['serve [--port N]'],
    summary: 'the query API (batch ⊕ realtime) for the project views, /docs and /metrics',
    flags: { '--port N': 'listen port (else OXBOW_API_PORT)' },
    settings: [
      'project',
      'api*',
      'lake',
      ...S3,
      'redisUrl',
      'redisPrefix',
      'manifestPollMs',
      'servingCacheDir',
      'speedTopics',
      'stateDir',
      'logLevel',
    ],
  },
  produce: {
    usage: [
      'produce --topic T [--schema PROJECT_TOPIC] [--count N] [--rate R] [--seed S] [--late-fraction F]',
      'produce --topic T [--schema PROJECT_TOPIC] --file EVENTS.jsonl [--rate R]',
    ],
    summary:
      "send events of one of the project's schemas to Kafka: generated (seeded) or replayed from a JSON-lines file",
    flags: {
      '--topic T': 'the Kafka topic (created when missing)',
      '--schema NAME': 'the project topic (or schema) the events follow; default --topic',
      '--count N': 'generated events (default 10 000)',
      '--rate R': 'events per second (default 1 000)',
      '--seed S': 'generator seed (default 1)',
      '--late-fraction F': 'generated events that arrive late (default 0.03)',
      '--file PATH': 'replay this JSON-lines file instead of generating',
    },
    settings: ['project', 'kafkaBrokers'],
  },
  ingest: {
    usage: ['ingest [--port N]'],
    summary:
      "the ingest gateway into Kafka: POST /v1/ingest/:topic, syslog and MQTT, checked by the project's schemas",
    flags: { '--port N': 'HTTP listen port (else OXBOW_INGEST_PORT)' },
    settings: ['project', 'kafkaBrokers', 'apiKeys', 'ingest*'],
  },
  sql: {
    usage: ['sql "SELECT …" [--limit N] [--timeout-ms N] [--json]'],
    summary: 'ad-hoc DuckDB SQL over the project topics in the lake and the published batch views',
    flags: {
      '--limit N': 'at most N rows (default 1 000)',
      '--timeout-ms N': 'time limit (default 30 000)',
      '--json': 'JSON lines',
    },
    settings: ['project', 'lake', ...S3, 'archiverTopics'],
  },
};

/** The version of the `oxbow` command (the repository's package version). */
export function versionText(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return `oxbow ${manifest.version} (node ${process.versions.node})`;
}

function settingsRead(patterns: readonly string[]): SettingName[] {
  return SETTING_NAMES.filter((name) =>
    patterns.some((pattern) =>
      pattern === '*'
        ? true
        : pattern.startsWith('*')
          ? name.endsWith(pattern.slice(1))
          : pattern.endsWith('*')
            ? name.startsWith(pattern.slice(0, -1))
            : name === pattern,
    ),
  );
}

function settingLines(names: readonly SettingName[], describe: boolean): string {
  return names
    .map((name) => {
      const spec = settingSpec(name);
      const head = `  --${flagOf(name).padEnd(30)} ${spec.env}`;
      return describe ? `${head}\n      ${spec.description}` : head;
    })
    .join('\n');
}

/**
 * The text of `oxbow --help`, or of `oxbow <command> --help`: the command's usage, its flags and every setting it
 * reads with its description.
 */
export function helpText(command?: string): string {
  const help = command === undefined ? undefined : COMMANDS[command];
  if (help !== undefined && command !== undefined) {
    const flags = Object.entries(help.flags ?? {})
      .map(([flag, meaning]) => `  ${flag.padEnd(22)} ${meaning}`)
      .join('\n');
    return `${help.usage.map((line, index) => `${index === 0 ? 'Usage: oxbow' : '       oxbow'} ${line}`).join('\n')}

${help.summary}
${flags === '' ? '' : `\nFlags:\n${flags}\n`}
Settings it reads (flag, environment variable; precedence: default < file < env < flag):
${settingLines(settingsRead(help.settings), true)}

  --config PATH                    config file (default: oxbow.config.json|ts|js in the cwd)
`;
  }
  const commands = Object.values(COMMANDS)
    .map((entry) => `  ${entry.usage.join('\n  ')}\n      ${entry.summary}`)
    .join('\n');
  return `oxbow — the Oxbow command line

Usage: oxbow <command> [flags]      oxbow <command> --help for a command's flags and settings

Commands:
${commands}

Flags for every command:
  --config PATH               config file (default: oxbow.config.json|ts|js in the cwd)
  --project PATH              the project module (OXBOW_PROJECT); see docs/guide/views.md
  -h, --help                  help;  --version  the version
Settings (flag, environment variable; precedence: default < file < env < flag):
${settingLines(SETTING_NAMES, false)}
`;
}
