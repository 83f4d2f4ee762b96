/**
 * One gateway per test: a configuration over the stack's Kafka (no file, no environment but the broker), the test
 * project over fresh topics, and the clean-up of both.
 */
import { request } from 'node:http';
import { loadConfig } from '@oxbow/config';
import type { Project } from '@oxbow/views';
import type { IngestConfig } from '../../src/index.ts';
import { createTopics, deleteTopics, uniquePrefix } from './kafka.ts';
import { ingestTestProject } from './project.ts';

/** The configuration of a test gateway: defaults, the stack's broker, and `overrides`. */
export async function ingestConfig(overrides: Partial<IngestConfig> = {}): Promise<IngestConfig> {
  const { config } = await loadConfig({
    noFile: true,
    env: {
      OXBOW_KAFKA_BROKERS: process.env.OXBOW_KAFKA_BROKERS,
      OXBOW_KAFKA_PORT: process.env.OXBOW_KAFKA_PORT,
    },
  });
  return { ...config, ...overrides };
}

/** The test project over fresh topics `<prefix>-readings` (keyed by sensorId), `-clicks` and `-syslog`. */
export interface TestTopics {
  readonly project: Project;
  readonly readings: string;
  readonly clicks: string;
  readonly syslog: string;
  /** Deletes the topics. */
  cleanup(): Promise<void>;
}

/** Creates the test project's topics (`create: false` leaves them out of Kafka). */
export async function testTopics(name: string, options: { create?: boolean } = {}): Promise<TestTopics> {
  const prefix = uniquePrefix(name);
  const topics = { readings: `${prefix}-readings`, clicks: `${prefix}-clicks`, syslog: `${prefix}-syslog` };
  if (options.create ?? true) await createTopics(Object.values(topics));
  return {
    project: ingestTestProject(prefix),
    ...topics,
    cleanup: () => deleteTopics(Object.values(topics)),
  };
}

/** A POST over real HTTP: status, headers and the body as text. */
export function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A reading as a client sends it. */
export function reading(
  sensorId: string,
  n: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    time: new Date(Date.now() - 60_000 + n).toISOString(),
    sensorId,
    celsius: (n % 100) - 40 + 0.25,
    ...extra,
  };
}

/** `records` as JSON lines. */
export function ndjson(records: readonly unknown[]): string {
  return `${records.map((record) => JSON.stringify(record)).join('\n')}\n`;
}
