import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import type { OxbowConfig } from '@oxbow/config';
import { createS3 } from '../../clients.ts';
import { requireJava } from '../java.ts';
import { fetchJars } from '../maven.ts';
import { INFRA_DIR } from '../paths.ts';
import type { ServiceDefinition } from '../service.ts';
import { renderTemplate } from '../template.ts';

/** The S3Proxy version the stack runs (passed to infra/s3proxy/pom.xml as `s3proxy.version`). */
export const S3PROXY_VERSION = '2.6.0';

function jarDir(config: OxbowConfig): string {
  return join(config.jarCache, `s3proxy-${S3PROXY_VERSION}`);
}

function localEndpoint(config: OxbowConfig): string {
  return `http://127.0.0.1:${config.s3Port}`;
}

/** S3Proxy: a real S3 API (signature v2/v4) backed by a directory; see docs/decisions/0002. */
export const s3proxyService: ServiceDefinition = {
  name: 's3proxy',
  optional: false,
  stopGraceMs: 10_000,
  startTimeoutMs: 60_000,
  ports: (config) => [{ port: config.s3Port, setting: 's3Port', env: 'OXBOW_S3_PORT' }],
  address: localEndpoint,

  async fetch(context) {
    requireJava();
    const targetDir = jarDir(context.config);
    if (
      await fetchJars({
        pom: join(INFRA_DIR, 's3proxy', 'pom.xml'),
        properties: { 's3proxy.version': S3PROXY_VERSION },
        targetDir,
      })
    ) {
      context.say(`fetched S3Proxy ${S3PROXY_VERSION} jars into ${targetDir}`);
    }
  },

  async prepare(context) {
    const { config } = context;
    mkdirSync(context.dataDir, { recursive: true });
    writeFileSync(
      join(context.serviceDir, 's3proxy.properties'),
      renderTemplate(join(INFRA_DIR, 's3proxy', 's3proxy.properties'), {
        s3Port: config.s3Port,
        s3AccessKey: config.s3AccessKey,
        s3SecretKey: config.s3SecretKey,
        dataDir: context.dataDir,
      }),
      { mode: 0o600 },
    );
  },

  command(context) {
    return {
      command: requireJava(),
      args: [
        '-Xms64m',
        '-Xmx256m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        `-Dlogback.configurationFile=${join(INFRA_DIR, 's3proxy', 'logback.xml')}`,
        '-cp',
        join(jarDir(context.config), '*'),
        'org.gaul.s3proxy.Main',
        '--properties',
        join(context.serviceDir, 's3proxy.properties'),
      ],
      cwd: context.serviceDir,
    };
  },

  async healthCheck(context) {
    const s3 = createS3(context.config, { address: localEndpoint(context.config), quiet: true });
    try {
      await s3.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(3000) });
    } finally {
      s3.destroy();
    }
  },

  async setup(context) {
    const bucket = context.config.s3Bucket;
    const s3 = createS3(context.config, { address: localEndpoint(context.config) });
    try {
      try {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }));
        return [];
      } catch {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        return [`created bucket ${bucket}`];
      }
    } finally {
      s3.destroy();
    }
  },
};
