import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type OxbowConfig, SETTINGS, type SettingName, settingSpec } from '@oxbow/config';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KAFKA_VERSION, stackTopics } from './services/kafka.ts';

interface ComposeService {
  image: string;
  ports?: string[];
  environment?: Record<string, string | number>;
  command?: string | string[];
}

const compose = parse(
  readFileSync(fileURLToPath(new URL('../../../../docker-compose.yml', import.meta.url)), 'utf8'),
) as {
  services: Record<string, ComposeService>;
};

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

describe('docker-compose.yml mirrors the local stack', () => {
  it('uses the official images, Kafka at the version the stack runs', () => {
    expect(service('kafka').image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    expect(service('kafka-init').image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    expect(service('redis').image).toMatch(/^redis:/);
    expect(service('minio').image).toMatch(/^minio\/minio:/);
  });

  it('publishes each service on 127.0.0.1 at the port of its OXBOW_* setting, with the same default', () => {
    const expected: Record<string, string> = {
      kafka: 'OXBOW_KAFKA_PORT',
      redis: 'OXBOW_REDIS_PORT',
      minio: 'OXBOW_S3_PORT',
    };
    for (const [name, env] of Object.entries(expected)) {
      const [mapping] = service(name).ports ?? [];
      expect(mapping, name).toMatch(/^127\.0\.0\.1:/);
      const [hostPort] = variables(mapping ?? '');
      expect(hostPort, name).toEqual([env, defaultOf(settingByEnv(env))]);
    }
  });

  it('uses only OXBOW_* variables that are settings, each with the setting default', () => {
    const text = readFileSync(
      fileURLToPath(new URL('../../../../docker-compose.yml', import.meta.url)),
      'utf8',
    );
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
