import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, type OxbowConfig, SETTINGS, type SettingName, settingSpec } from '@oxbow/config';
import { SPEED_HEALTH_PATHS } from '@oxbow/speed';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCommandLine } from '../args.ts';
import { helpText } from '../help.ts';
import { KAFKA_VERSION, stackTopics } from './services/kafka.ts';

interface ComposeService {
  image: string;
  build?: string | { context: string };
  profiles?: string[];
  ports?: string[];
  environment?: Record<string, string | number | boolean>;
  command?: string | string[];
  healthcheck?: { test: string | string[] };
}

const repoFile = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
const text = readFileSync(repoFile('docker-compose.yml'), 'utf8');
// Docker Compose resolves YAML merge keys (`<<: *oxbow-app`); so does the parser here.
const compose = parse(text, { merge: true }) as { services: Record<string, ComposeService> };

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

const VARIABLE = /\$\{(OXBOW_[A-Z0-9_]+):-([^}]*)\}/g;

/** Every `${OXBOW_X:-default}` in a text, as [variable, default]. */
function variables(text: string): [string, string][] {
  return [...text.matchAll(VARIABLE)].map((match) => [match[1] ?? '', match[2] ?? '']);
}

/** A value as Compose passes it when no OXBOW_* variable is set on the host: every `${X:-default}` is its default. */
function withDefaults(value: string | number | boolean): string {
  return String(value).replace(VARIABLE, (_match, _name, fallback: string) => fallback);
}

function settingByEnv(env: string): SettingName {
  const name = (Object.keys(SETTINGS) as SettingName[]).find(
    (candidate) => settingSpec(candidate).env === env,
  );
  if (!name) throw new Error(`${env} is not an Oxbow setting`);
  return name;
}

/** The default a setting has when nothing else is configured (derived defaults are not used here). */
function defaultOf(name: SettingName): string {
  const value = settingSpec(name).default;
  if (typeof value === 'function') throw new Error(`${name} has a derived default`);
  return String(value);
}

/** `host:port` of a URL-ish address (`redis://redis:6379`, `kafka:19092`). */
function hostPort(address: string): { host: string; port: string } {
  const match = /^(?:[a-z]+:\/\/)?([^:/]+):(\d+)/.exec(address);
  if (!match) throw new Error(`no host:port in ${address}`);
  return { host: match[1] ?? '', port: match[2] ?? '' };
}

/** The container port a service publishes (the part after the last colon of its first port mapping). */
function containerPort(name: string): string {
  const [mapping] = service(name).ports ?? [];
  return withDefaults(mapping ?? '')
    .split(':')
    .at(-1) as string;
}

/** The routes `registerOpsRoutes` of the serving API declares (`/healthz`, `/readyz`, …). */
function servingOpsRoutes(): string[] {
  const source = readFileSync(repoFile('apps/serving/src/routes/ops-routes.ts'), 'utf8');
  return [...source.matchAll(/app\.(?:get|post)(?:<[^>]*>)?\(\s*'([^']+)'/g)].map((match) => match[1] ?? '');
}

/** The URL a `node -e "fetch('…')…"` healthcheck asks. */
function healthcheckUrl(name: string): URL {
  const test = [service(name).healthcheck?.test ?? ''].flat().join(' ');
  const url = /fetch\('([^']+)'\)/.exec(test)?.[1];
  if (!url) throw new Error(`${name}: the healthcheck fetches no URL`);
  return new URL(url);
}

/** `infra/kafka/server.properties` as key → value (placeholders `{{name}}` left in). */
function brokerProperties(): Map<string, string> {
  const properties = new Map<string, string>();
  for (const line of readFileSync(repoFile('infra/kafka/server.properties'), 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const at = trimmed.indexOf('=');
    properties.set(trimmed.slice(0, at), trimmed.slice(at + 1));
  }
  return properties;
}

/** The apache/kafka image's variable of a broker property: upper case, `.` → `_` (none of ours has `_` or `-`). */
function kafkaEnvOf(property: string): string {
  return `KAFKA_${property.toUpperCase().replaceAll('.', '_')}`;
}

/** A listener list (`NAME://host:port,…`) as NAME → port, with the template's placeholders as Compose variables. */
function listenerPorts(list: string): Map<string, string> {
  const placeholders: Record<string, string> = {
    '{{kafkaPort}}': `\${OXBOW_KAFKA_PORT:-${defaultOf('kafkaPort')}}`,
    '{{kafkaControllerPort}}': `\${OXBOW_KAFKA_CONTROLLER_PORT:-${defaultOf('kafkaControllerPort')}}`,
  };
  return new Map(
    list.split(',').map((listener) => {
      const [name = '', address = ''] = listener.split('://');
      const port = /:(\$\{[^}]+\}|\{\{[^}]+\}\}|\d+)$/.exec(address)?.[1] ?? '';
      return [name, placeholders[port] ?? port];
    }),
  );
}

const APPS = ['archiver', 'speed', 'batch', 'serving'] as const;

describe('docker-compose.yml mirrors the local stack', () => {
  it('uses the official images, Kafka at the version the stack runs, every image pinned to a version', () => {
    expect(service('kafka').image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    expect(service('kafka-init').image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    expect(service('redis').image).toMatch(/^redis:\d+\.\d+\.\d+$/);
    expect(service('minio').image).toMatch(/^minio\/minio:RELEASE\./);
    expect(service('minio-init').image).toMatch(/^minio\/mc:RELEASE\./);
    for (const [name, { image }] of Object.entries(compose.services)) {
      expect(image, name).toMatch(/^[a-z0-9./-]+:[^:]*\d[^:]*$/);
      expect(image, name).not.toMatch(/:latest$/);
    }
  });

  it('publishes each service on 127.0.0.1 at the port of its OXBOW_* setting, with the same default', () => {
    const expected: Record<string, string> = {
      kafka: 'OXBOW_KAFKA_PORT',
      redis: 'OXBOW_REDIS_PORT',
      minio: 'OXBOW_S3_PORT',
      serving: 'OXBOW_API_PORT',
    };
    for (const [name, env] of Object.entries(expected)) {
      const [mapping] = service(name).ports ?? [];
      expect(mapping, name).toMatch(/^127\.0\.0\.1:/);
      const [hostPort] = variables(mapping ?? '');
      expect(hostPort, name).toEqual([env, defaultOf(settingByEnv(env))]);
    }
  });

  it('uses only OXBOW_* variables that are settings, each with the setting default', () => {
    const used = variables(text);
    expect(used.length).toBeGreaterThan(5);
    for (const [env, fallback] of used) expect([env, fallback]).toEqual([env, defaultOf(settingByEnv(env))]);
  });

  it("runs Kafka in KRaft mode with append-time timestamps and creates the default project's topics", async () => {
    const environment = service('kafka').environment ?? {};
    expect(environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(environment.KAFKA_LOG_MESSAGE_TIMESTAMP_TYPE).toBe('LogAppendTime');
    const init = [service('kafka-init').command ?? ''].flat().join('\n');
    const defaults = {
      project: '',
      archiverTopics: '',
      speedTopics: '',
      speedDeadLetterTopic: defaultOf('speedDeadLetterTopic'),
    } as unknown as OxbowConfig;
    const topics = await stackTopics(defaults);
    for (const { topic, numPartitions } of topics) expect(init).toContain(`${topic}:${numPartitions}`);
    expect(init).toContain('message.timestamp.type=LogAppendTime');
    // The dead-letter topic takes any record an event topic accepts, as `stack up` creates it.
    for (const { topic, configs } of topics) {
      for (const [name, value] of Object.entries(configs ?? {}))
        expect(init).toContain(`--entity-name ${topic} --add-config ${name}=${value}`);
    }
  });

  it('sets every broker property of infra/kafka/server.properties, with the same value', () => {
    const environment = service('kafka').environment ?? {};
    const properties = brokerProperties();
    // Properties whose Compose value differs by design (checked below), or that the image replaces.
    const different = new Set([
      'listeners',
      'advertised.listeners',
      'listener.security.protocol.map',
      'log.dirs',
      // The image formats its storage for a static quorum: KAFKA_CONTROLLER_QUORUM_VOTERS instead.
      'controller.quorum.bootstrap.servers',
    ]);
    expect(properties.get('group.min.session.timeout.ms')).toBeDefined();
    for (const [property, value] of properties) {
      if (different.has(property)) continue;
      expect([property, String(environment[kafkaEnvOf(property)])]).toEqual([property, value]);
    }
    // Nothing the local broker does not set, but the quorum voters and the JVM heap.
    const known = new Set([...properties.keys()].map(kafkaEnvOf));
    for (const env of Object.keys(environment).filter((name) => !known.has(name)))
      expect(['KAFKA_CONTROLLER_QUORUM_VOTERS', 'KAFKA_HEAP_OPTS']).toContain(env);
    expect(String(environment.KAFKA_CONTROLLER_QUORUM_VOTERS)).toMatch(
      /^1@localhost:\$\{OXBOW_KAFKA_CONTROLLER_PORT:-\d+\}$/,
    );
    expect(environment.KAFKA_LOG_DIRS).toBe('/var/lib/kafka/data');
    // The local listeners on the same ports, plus DOCKER for the apps' containers.
    for (const property of ['listeners', 'advertised.listeners']) {
      const local = listenerPorts(properties.get(property) ?? '');
      const docker = listenerPorts(String(environment[kafkaEnvOf(property)]));
      for (const [name, port] of local)
        expect([property, name, docker.get(name)]).toEqual([property, name, port]);
      expect(docker.has('DOCKER'), property).toBe(true);
    }
    const protocols = String(environment.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP).split(',');
    for (const entry of (properties.get('listener.security.protocol.map') ?? '').split(','))
      expect(protocols).toContain(entry);
    expect(protocols).toContain('DOCKER:PLAINTEXT');
  });

  it('gives MinIO the configured credentials and creates the default bucket', () => {
    const environment = service('minio').environment ?? {};
    expect(variables(String(environment.MINIO_ROOT_USER))).toEqual([['OXBOW_S3_ACCESS_KEY', 'oxbow']]);
    expect(variables(String(environment.MINIO_ROOT_PASSWORD))).toEqual([
      ['OXBOW_S3_SECRET_KEY', 'oxbow-secret'],
    ]);
    const init = [service('minio-init').command ?? ''].flat().join('\n');
    expect(init).toContain(`mc mb --ignore-existing oxbow/\${OXBOW_S3_BUCKET:-${defaultOf('s3Bucket')}}`);
  });
});

describe('docker-compose.yml runs the apps from the image', () => {
  const version = (JSON.parse(readFileSync(repoFile('package.json'), 'utf8')) as { version: string }).version;

  it('runs archiver, speed, batch and serving from the Dockerfile, in the "apps" profile', () => {
    for (const name of APPS) {
      const app = service(name);
      expect(app.image, name).toBe(`oxbow:${version}`);
      expect(app.build, name).toBe('.');
      expect(app.profiles, name).toEqual(['apps']);
    }
    // The services of the local stack start without the profile.
    for (const name of ['kafka', 'kafka-init', 'redis', 'minio', 'minio-init'])
      expect(service(name).profiles, name).toBeUndefined();
  });

  it('gives each app an `oxbow` command the CLI knows', () => {
    const commands = Object.fromEntries(APPS.map((name) => [name, [service(name).command ?? ''].flat()]));
    expect(commands.archiver).toEqual(['archiver']);
    expect(commands.speed).toEqual(['speed']);
    expect(commands.serving).toEqual(['serve']);
    expect(commands.batch?.slice(0, 2)).toEqual(['batch', 'schedule']);
    for (const [name, argv = []] of Object.entries(commands)) {
      const parsed = parseCommandLine(argv);
      expect(helpText(parsed.command[0]), name).toMatch(
        new RegExp(`oxbow ${parsed.command.join(' ')}( |\n)`),
      );
    }
    const batch = parseCommandLine(commands.batch ?? []);
    expect(batch.flags.cron?.split(' ')).toHaveLength(5);
  });

  it('configures each app with valid settings that point at the services inside the network', async () => {
    const kafkaDocker = listenerPorts(String(service('kafka').environment?.KAFKA_ADVERTISED_LISTENERS));
    const advertised = String(service('kafka').environment?.KAFKA_ADVERTISED_LISTENERS)
      .split(',')
      .find((listener) => listener.startsWith('DOCKER://'))
      ?.slice('DOCKER://'.length);
    expect(advertised).toBe(`kafka:${kafkaDocker.get('DOCKER')}`);
    for (const name of APPS) {
      const raw = service(name).environment ?? {};
      for (const env of Object.keys(raw)) expect(settingByEnv(env), `${name} ${env}`).toBeDefined();
      const env = Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, withDefaults(value)]));
      const { config } = await loadConfig({ env, noFile: true, cwd: '/app', homeDir: '/var/lib/oxbow' });
      expect(config.kafkaBrokers, name).toEqual([advertised]);
      expect(hostPort(config.redisUrl), name).toEqual({ host: 'redis', port: containerPort('redis') });
      expect(hostPort(config.s3Endpoint), name).toEqual({ host: 'minio', port: containerPort('minio') });
      expect(config.lake, name).toMatch(new RegExp(`^s3://${config.s3Bucket}/`));
      expect(config.s3AccessKey, name).toBe(defaultOf('s3AccessKey'));
      expect(config.s3SecretKey, name).toBe(defaultOf('s3SecretKey'));
    }
  });

  it('checks the health of serving and speed on their real routes and ports', async () => {
    const serving = healthcheckUrl('serving');
    const servingEnv = Object.fromEntries(
      Object.entries(service('serving').environment ?? {}).map(([key, value]) => [key, withDefaults(value)]),
    );
    const { config } = await loadConfig({ env: servingEnv, noFile: true });
    expect(servingOpsRoutes()).toContain(serving.pathname);
    expect(serving.pathname).toBe('/healthz');
    expect(serving.port).toBe(String(config.apiPort));
    expect(containerPort('serving')).toBe(String(config.apiPort));
    expect(config.apiHost).toBe('0.0.0.0');

    const speed = healthcheckUrl('speed');
    const speedEnv = Object.fromEntries(
      Object.entries(service('speed').environment ?? {}).map(([key, value]) => [key, withDefaults(value)]),
    );
    const speedConfig = (await loadConfig({ env: speedEnv, noFile: true })).config;
    // The speed app's health server listens on 127.0.0.1 only, so the check runs inside its container.
    expect(speed.hostname).toBe('127.0.0.1');
    expect(speed.port).toBe(String(speedConfig.speedHealthPort));
    expect(SPEED_HEALTH_PATHS).toContain(speed.pathname);
  });
});
