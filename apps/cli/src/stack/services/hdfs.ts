/**
 * HDFS for `oxbow stack up --with hdfs`: a single-node Hadoop MiniDFSCluster (NameNode + one DataNode, WebHDFS on
 * `hdfsPort`) from the `hadoop-client-minicluster` jars on Maven Central, started by the launcher
 * `infra/hdfs/src/main/java/dev/oxbow/hdfs/OxbowMiniHdfs.java` (compiled with javac into the jar cache). See
 * docs/decisions/0004-hdfs-test-server.md.
 *
 * The jar cache layout (`<jarCache>/hdfs-<version>/jars`, `…/classes`) is the one libs/connectors'
 * test launcher (`test/support/hdfs-server.ts`) uses, so both share one download. That launcher stays
 * separate on purpose: a library's tests cannot depend on the CLI (module boundaries), and it runs a private
 * cluster per test run; the stack's HDFS is the long-running one users and app tests point `hdfs://` URLs at.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { OxbowConfig } from '@oxbow/config';
import { CliError } from '../../errors.ts';
import { requireJava } from '../java.ts';
import { fetchJars, jarsPresent } from '../maven.ts';
import { INFRA_DIR } from '../paths.ts';
import type { ServiceDefinition } from '../service.ts';

/** The Hadoop release the stack runs (3.4.2 runs on Java 17; decision 0004). */
export const HADOOP_VERSION = '3.4.2';
const LAUNCHER_CLASS = 'dev.oxbow.hdfs.OxbowMiniHdfs';
const LAUNCHER_SOURCE = join(
  INFRA_DIR,
  'hdfs',
  'src',
  'main',
  'java',
  'dev',
  'oxbow',
  'hdfs',
  'OxbowMiniHdfs.java',
);

function cacheDir(config: OxbowConfig): string {
  return join(config.jarCache, `hdfs-${HADOOP_VERSION}`);
}

function webhdfsUrl(config: OxbowConfig): string {
  return `http://127.0.0.1:${config.hdfsPort}/webhdfs/v1`;
}

/** Jars fetched either by the stack (`.complete` in `jars/`) or by the connectors' test launcher (`.fetched`). */
function hdfsJarsPresent(config: OxbowConfig): boolean {
  return jarsPresent(join(cacheDir(config), 'jars')) || existsSync(join(cacheDir(config), '.fetched'));
}

function runJavac(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('javac', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on('error', (error) =>
      reject(new CliError('OXBOW_JAVA_MISSING', `javac not found (${error.message}): install a JDK ≥ 17`)),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new CliError(
              'OXBOW_SERVICE_START_FAILED',
              `compiling the HDFS launcher failed: ${errors.trim()}`,
            ),
          ),
    );
  });
}

/** A single-node HDFS serving WebHDFS on `hdfsPort` (RPC on `hdfsRpcPort`); optional (`--with hdfs`). */
export const hdfsService: ServiceDefinition = {
  name: 'hdfs',
  optional: true,
  stopGraceMs: 30_000,
  startTimeoutMs: 120_000,
  ports: (config) => [
    { port: config.hdfsPort, setting: 'hdfsPort', env: 'OXBOW_HDFS_PORT' },
    { port: config.hdfsRpcPort, setting: 'hdfsRpcPort', env: 'OXBOW_HDFS_RPC_PORT' },
  ],
  address: (config) => `hdfs://127.0.0.1:${config.hdfsPort}`,

  async fetch(context) {
    requireJava();
    const jarsDir = join(cacheDir(context.config), 'jars');
    if (!hdfsJarsPresent(context.config)) {
      await fetchJars({
        pom: join(INFRA_DIR, 'hdfs', 'pom.xml'),
        properties: { 'hadoop.version': HADOOP_VERSION },
        targetDir: jarsDir,
      });
      context.say(`fetched Hadoop ${HADOOP_VERSION} minicluster jars into ${jarsDir}`);
    }
    const classesDir = join(cacheDir(context.config), 'classes');
    const compiled = join(classesDir, 'dev', 'oxbow', 'hdfs', 'OxbowMiniHdfs.class');
    if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(LAUNCHER_SOURCE).mtimeMs) {
      mkdirSync(classesDir, { recursive: true });
      await runJavac([
        '-nowarn',
        '-XDignore.symbol.file',
        '-d',
        classesDir,
        '-cp',
        join(jarsDir, '*'),
        LAUNCHER_SOURCE,
      ]);
      context.say(`compiled the HDFS launcher into ${classesDir}`);
    }
  },

  async prepare(context) {
    mkdirSync(context.dataDir, { recursive: true });
  },

  command(context) {
    const { config } = context;
    return {
      command: requireJava(),
      args: [
        '-Xmx384m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.net.preferIPv4Stack=true',
        '-cp',
        `${join(cacheDir(config), 'jars', '*')}:${join(cacheDir(config), 'classes')}`,
        LAUNCHER_CLASS,
        '--base-dir',
        context.dataDir,
        '--rpc-port',
        String(config.hdfsRpcPort),
        '--http-port',
        String(config.hdfsPort),
      ],
      cwd: context.serviceDir,
    };
  },

  async healthCheck(context) {
    const response = await fetch(`${webhdfsUrl(context.config)}/?op=GETFILESTATUS&user.name=oxbow`, {
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`WebHDFS answered HTTP ${response.status}`);
  },

  async setup() {
    return [];
  },
};
