import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './cli.ts';
import type { Output } from './output.ts';

async function oxbow(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (line) => out.push(line), err: (line) => err.push(line) };
  const cwd = mkdtempSync(join(tmpdir(), 'oxbow-cli-'));
  const code = await run(argv, { cwd, env, output });
  return { code, out: out.join('\n'), err: err.join('\n'), cwd };
}

describe('oxbow argument errors', () => {
  it('rejects an unknown command with exit code 2 and one line', async () => {
    const result = await oxbow(['stak', 'up']);
    expect(result.code).toBe(2);
    expect(result.err).toBe('oxbow: unknown command "stak" (run oxbow --help)');
  });

  it('rejects an unknown stack command', async () => {
    const result = await oxbow(['stack', 'upp']);
    expect(result.code).toBe(2);
    expect(result.err).toBe('oxbow: unknown stack command "upp" (up, down, status, logs, fetch)');
  });

  it('rejects an unknown flag', async () => {
    const result = await oxbow(['stack', 'status', '--jsn']);
    expect(result.code).toBe(2);
    expect(result.err).toBe('oxbow: unknown flag --jsn (run oxbow --help)');
  });

  it('rejects a flag that belongs to another command', async () => {
    const result = await oxbow(['stack', 'down', '--follow']);
    expect(result.code).toBe(2);
    expect(result.err).toBe('oxbow: flag --follow does not apply to "oxbow stack down" (run oxbow --help)');
  });

  it('rejects a setting flag without its value', async () => {
    const result = await oxbow(['config', '--kafka-port']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--kafka-port');
    expect(result.err.split('\n')).toHaveLength(1);
  });

  it('rejects an unknown service for logs and an unknown --with service', async () => {
    expect((await oxbow(['stack', 'logs', 'zookeeper'])).err).toBe(
      'oxbow: unknown service "zookeeper" (services: kafka, redis, s3proxy, hdfs, mqtt, redis-cluster)',
    );
    const withKafka = await oxbow(['stack', 'up', '--with', 'kafka']);
    expect(withKafka.code).toBe(2);
    expect(withKafka.err).toContain(
      '--with kafka: not an optional service (available: hdfs, mqtt, redis-cluster)',
    );
  });

  it('prints help with --help and exits 0', async () => {
    const result = await oxbow(['--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('stack up [--with hdfs|mqtt|redis-cluster]');
    expect(result.out).toContain('OXBOW_KAFKA_BROKERS');
    for (const command of ['views', 'sql', 'ingest', 'produce', 'batch run', 'serve']) {
      expect(result.out).toContain(`  ${command}`);
    }
  });

  it("prints a command's flags and the settings it reads with `oxbow <command> --help`", async () => {
    const result = await oxbow(['batch', 'run', '--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('Usage: oxbow batch run');
    expect(result.out).toContain('--full');
    expect(result.out).toContain('OXBOW_BATCH_PARALLELISM');
    expect(result.out).toContain('Batch: worker threads of a run');
    expect(result.out).not.toContain('OXBOW_API_PORT');
    expect((await oxbow(['help', 'produce'])).out).toContain('--file PATH');
  });

  it('prints its version with --version', async () => {
    const result = await oxbow(['--version']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^oxbow \d+\.\d+\.\d+ \(node \d+/);
  });
});

describe('oxbow config', () => {
  it('reports a bad environment value as one line naming the variable', async () => {
    const result = await oxbow(['config'], { OXBOW_EPOCH_MS: 'hourly' });
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      'oxbow: invalid epochMs = "hourly" from environment variable OXBOW_EPOCH_MS: expected an integer ≥ 1000',
    );
  });

  it('prints each value with its source, flags winning over the environment', async () => {
    const result = await oxbow(['config', '--json', '--redis-port', '16379'], {
      OXBOW_REDIS_PORT: '17379',
      OXBOW_EPOCH_MS: '60000',
    });
    expect(result.code).toBe(0);
    const settings = JSON.parse(result.out).settings;
    expect(settings.redisPort).toMatchObject({ value: 16379, source: 'flag', from: '--redis-port' });
    expect(settings.epochMs).toMatchObject({ value: 60000, source: 'env', from: 'OXBOW_EPOCH_MS' });
    expect(settings.kafkaBrokers).toMatchObject({ value: ['127.0.0.1:29092'], source: 'default' });
    expect(settings.redisUrl.value).toBe('redis://127.0.0.1:16379');
  });

  it('prints a table by default', async () => {
    const result = await oxbow(['config']);
    expect(result.out).toMatch(/^SETTING\s+VALUE\s+SOURCE\s+ENV$/m);
    expect(result.out).toMatch(/^kafkaBrokers\s+127\.0\.0\.1:29092\s+default\s+OXBOW_KAFKA_BROKERS$/m);
  });
});
