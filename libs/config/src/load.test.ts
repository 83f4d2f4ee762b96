import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig } from './describe.ts';
import { ConfigError } from './errors.ts';
import { loadConfig } from './load.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'oxbow-config-'));
}

const base = { homeDir: '/home/tester', env: {} } as const;

describe('loadConfig defaults', () => {
  it('points at the local stack and derives client addresses from the stack ports', async () => {
    const cwd = tempDir();
    const { config, origins, file } = await loadConfig({ ...base, cwd });
    expect(file).toBeUndefined();
    expect(config.lake).toBe(`file://${cwd}/.oxbow/lake/`);
    expect(config.stateDir).toBe(join(cwd, '.oxbow'));
    expect(config.jarCache).toBe('/home/tester/.cache/oxbow/jars');
    expect(config.epochMs).toBe(3_600_000);
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:29092']);
    expect(config.redisUrl).toBe('redis://127.0.0.1:26379');
    expect(config.s3Endpoint).toBe('http://127.0.0.1:29000');
    expect([config.kafkaControllerPort, config.hdfsPort, config.apiPort]).toEqual([29093, 29870, 8080]);
    expect(origins.epochMs).toEqual({ source: 'default', from: 'default' });
  });

  it('moves derived defaults along when a stack port changes', async () => {
    const { config } = await loadConfig({ ...base, cwd: tempDir(), env: { OXBOW_KAFKA_PORT: '39092' } });
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:39092']);
  });
});

describe('loadConfig precedence: default < file < env < flag', () => {
  it('takes each value from the highest layer that sets it and remembers the layer', async () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'oxbow.config.json'),
      JSON.stringify({ epochMs: 5000, redisPort: 16379, s3Region: 'eu-west-1', apiPort: 9000 }),
    );
    const { config, origins, file } = await loadConfig({
      ...base,
      cwd,
      env: { OXBOW_REDIS_PORT: '17379', OXBOW_API_PORT: '9001' },
      flags: { apiPort: '9002' },
    });
    expect(file).toBe(join(cwd, 'oxbow.config.json'));
    expect(config.epochMs).toBe(5000);
    expect(origins.epochMs).toEqual({ source: 'file', from: join(cwd, 'oxbow.config.json') });
    expect(config.redisPort).toBe(17379);
    expect(origins.redisPort).toEqual({ source: 'env', from: 'OXBOW_REDIS_PORT' });
    expect(config.apiPort).toBe(9002);
    expect(origins.apiPort).toEqual({ source: 'flag', from: '--api-port' });
    expect(config.s3Region).toBe('eu-west-1');
    expect(config.redisUrl).toBe('redis://127.0.0.1:17379');
  });

  it('ignores empty environment variables', async () => {
    const { origins } = await loadConfig({ ...base, cwd: tempDir(), env: { OXBOW_EPOCH_MS: '' } });
    expect(origins.epochMs.source).toBe('default');
  });

  it('loads the default export of oxbow.config.ts and resolves its relative paths against its directory', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'oxbow.config.ts'), "export default { stateDir: 'state', epochMs: 2000 };\n");
    const { config } = await loadConfig({ ...base, cwd });
    expect(config.stateDir).toBe(join(cwd, 'state'));
    expect(config.epochMs).toBe(2000);
  });

  it('reads an explicit --config path instead of looking in the cwd', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'oxbow.config.json'), JSON.stringify({ epochMs: 2000 }));
    mkdirSync(join(cwd, 'other'));
    writeFileSync(join(cwd, 'other', 'mine.json'), JSON.stringify({ epochMs: 3000 }));
    const { config } = await loadConfig({ ...base, cwd, configPath: 'other/mine.json' });
    expect(config.epochMs).toBe(3000);
  });
});

describe('loadConfig parsing', () => {
  it('parses broker lists, trimming spaces', async () => {
    const { config } = await loadConfig({
      ...base,
      cwd: tempDir(),
      env: { OXBOW_KAFKA_BROKERS: 'a.example:9092, 10.0.0.2:9093' },
    });
    expect(config.kafkaBrokers).toEqual(['a.example:9092', '10.0.0.2:9093']);
  });

  it('accepts s3:// and hdfs:// lakes', async () => {
    for (const lake of ['s3://lake/master/', 'hdfs://127.0.0.1:29870/lake/']) {
      const { config } = await loadConfig({ ...base, cwd: tempDir(), env: { OXBOW_LAKE: lake } });
      expect(config.lake).toBe(lake);
    }
  });
});

describe('loadConfig errors', () => {
  async function errorOf(promise: Promise<unknown>): Promise<ConfigError> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
    return error;
  }

  it('names the setting, the environment variable and the expected form', async () => {
    const error = await errorOf(loadConfig({ ...base, cwd: tempDir(), env: { OXBOW_EPOCH_MS: 'soon' } }));
    expect(error.code).toBe('OXBOW_CONFIG_INVALID');
    expect(error.retriable).toBe(false);
    expect(error.message).toBe(
      'invalid epochMs = "soon" from environment variable OXBOW_EPOCH_MS: expected an integer ≥ 1000',
    );
  });

  it('enforces minimums and port ranges', async () => {
    const tooShort = await errorOf(loadConfig({ ...base, cwd: tempDir(), flags: { epochMs: '999' } }));
    expect(tooShort.message).toContain('from flag --epoch-ms: expected an integer ≥ 1000');
    const badPort = await errorOf(
      loadConfig({ ...base, cwd: tempDir(), env: { OXBOW_REDIS_PORT: '70000' } }),
    );
    expect(badPort.message).toContain('expected an integer between 1 and 65535');
  });

  it('rejects URLs with the wrong scheme and malformed broker lists', async () => {
    const lake = await errorOf(loadConfig({ ...base, cwd: tempDir(), env: { OXBOW_LAKE: 'ftp://x/' } }));
    expect(lake.message).toContain('expected a URL (file://, s3://, hdfs://)');
    const brokers = await errorOf(
      loadConfig({ ...base, cwd: tempDir(), env: { OXBOW_KAFKA_BROKERS: 'nope' } }),
    );
    expect(brokers.message).toContain('OXBOW_KAFKA_BROKERS: expected comma-separated host:port pairs');
  });

  it('names the config file for bad values and unknown settings', async () => {
    const cwd = tempDir();
    const path = join(cwd, 'oxbow.config.json');
    writeFileSync(path, JSON.stringify({ epochMs: 'x' }));
    expect((await errorOf(loadConfig({ ...base, cwd }))).message).toContain(`from config file ${path}`);
    writeFileSync(path, JSON.stringify({ kafka_port: 1 }));
    const unknown = await errorOf(loadConfig({ ...base, cwd }));
    expect(unknown.code).toBe('OXBOW_CONFIG_UNKNOWN_SETTING');
    expect(unknown.message).toContain('unknown setting "kafka_port" (did you mean "kafkaPort"?)');
  });

  it('reports unreadable and missing config files', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'oxbow.config.json'), '{ not json');
    expect((await errorOf(loadConfig({ ...base, cwd }))).code).toBe('OXBOW_CONFIG_FILE_UNREADABLE');
    const missing = await errorOf(loadConfig({ ...base, cwd, configPath: 'nope.json' }));
    expect(missing.code).toBe('OXBOW_CONFIG_FILE_NOT_FOUND');
  });
});

describe('describeConfig', () => {
  it('lists every setting with its source and masks secrets that are not defaults', async () => {
    const resolved = await loadConfig({ ...base, cwd: tempDir(), env: { OXBOW_S3_SECRET_KEY: 'hunter2' } });
    const rows = describeConfig(resolved);
    const secret = rows.find((row) => row.name === 's3SecretKey');
    expect(secret).toMatchObject({ value: '********', source: 'env', from: 'OXBOW_S3_SECRET_KEY' });
    expect(rows.find((row) => row.name === 'kafkaBrokers')).toMatchObject({ flag: '--kafka-brokers' });
    expect(rows.map((row) => row.env)).toContain('OXBOW_HDFS_PORT');
  });
});
