/**
 * A real single-node HDFS for tests (and later `oxbow stack up --with hdfs`): Hadoop's MiniDFSCluster from
 * the `hadoop-client-minicluster` jars on Maven Central, fetched with `mvn dependency:copy-dependencies`
 * into a cache, started by our launcher `infra/hdfs/src/main/java/dev/oxbow/hdfs/OxbowMiniHdfs.java`
 * (compiled with javac into the same cache). See docs/decisions/0004-hdfs-test-server.md.
 *
 * Everything needed to launch lives in {@link startMiniHdfs}, so it can move to the CLI unchanged.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Hadoop release fetched when none is given (3.4.2 runs on Java 17; see decision 0004). */
export const DEFAULT_HADOOP_VERSION = '3.4.2';
/** Default NameNode HTTP (WebHDFS) port of the Oxbow test cluster. */
export const DEFAULT_HDFS_HTTP_PORT = 29870;
/** Default NameNode RPC port of the Oxbow test cluster. */
export const DEFAULT_HDFS_RPC_PORT = 29820;

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const LAUNCHER_CLASS = 'dev.oxbow.hdfs.OxbowMiniHdfs';

/** Where to find and put things; every field has a default. */
export interface MiniHdfsOptions {
  /** Directory for the cluster's name/data directories and its log (`hdfs.log`). Required. */
  stateDir: string;
  /** Hadoop version of `hadoop-client-minicluster`. Default {@link DEFAULT_HADOOP_VERSION}. */
  version?: string;
  /** NameNode HTTP port serving WebHDFS. Default {@link DEFAULT_HDFS_HTTP_PORT}. */
  httpPort?: number;
  /** NameNode RPC port. Default {@link DEFAULT_HDFS_RPC_PORT}. */
  rpcPort?: number;
  /** Jar cache root; the jars go to `<root>/hdfs-<version>`. Default `$OXBOW_JAR_CACHE` or `~/.cache/oxbow/jars`. */
  jarCacheRoot?: string;
  /** Maximum Java heap in MiB. Default 384. */
  heapMb?: number;
  /** How long to wait for the ready line and for WebHDFS to answer. Default 120 s. */
  startTimeoutMs?: number;
  /** `infra/hdfs` of the repository (pom.xml and the launcher source). Default: found from this file. */
  infraDir?: string;
}

/** A running cluster. */
export interface MiniHdfs {
  /** `hdfs://127.0.0.1:<httpPort>`: the URL `openFileSystem` takes (append a path). */
  readonly url: string;
  /** `http://127.0.0.1:<httpPort>/webhdfs/v1`. */
  readonly webhdfsUrl: string;
  readonly httpPort: number;
  readonly rpcPort: number;
  readonly pid: number;
  /** Milliseconds from spawning the JVM until WebHDFS answered. */
  readonly startMillis: number;
  /** Sends SIGTERM, waits for a clean exit (SIGKILL after 30 s). */
  stop(): Promise<void>;
}

/** The jar cache directory used for `version`. */
export function hdfsJarCacheDir(version = DEFAULT_HADOOP_VERSION, root?: string): string {
  const base = root ?? process.env.OXBOW_JAR_CACHE ?? join(homedir(), '.cache', 'oxbow', 'jars');
  return join(base, `hdfs-${version}`);
}

/**
 * Makes sure the jars of `version` are in the cache and the launcher is compiled; returns the classpath.
 * Needs `mvn` and `javac` on the PATH the first time only.
 */
export async function prepareMiniHdfs(
  version = DEFAULT_HADOOP_VERSION,
  cacheRoot?: string,
  infraDir = join(REPO_ROOT, 'infra', 'hdfs'),
): Promise<string> {
  const cacheDir = hdfsJarCacheDir(version, cacheRoot);
  const jarsDir = join(cacheDir, 'jars');
  const classesDir = join(cacheDir, 'classes');
  const fetchedMarker = join(cacheDir, '.fetched');
  const pom = join(infraDir, 'pom.xml');
  if (!existsSync(fetchedMarker) || statSync(fetchedMarker).mtimeMs < statSync(pom).mtimeMs) {
    mkdirSync(jarsDir, { recursive: true });
    await run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        pom,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${jarsDir}`,
        `-Dhadoop.version=${version}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    writeFileSync(fetchedMarker, `${new Date().toISOString()}\n`);
  }
  const source = join(infraDir, 'src', 'main', 'java', 'dev', 'oxbow', 'hdfs', 'OxbowMiniHdfs.java');
  const compiled = join(classesDir, 'dev', 'oxbow', 'hdfs', 'OxbowMiniHdfs.class');
  if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(classesDir, { recursive: true });
    await run('javac', [
      '-nowarn',
      '-XDignore.symbol.file',
      '-d',
      classesDir,
      '-cp',
      join(jarsDir, '*'),
      source,
    ]);
  }
  return `${join(jarsDir, '*')}:${classesDir}`;
}

/**
 * Fetches (if needed) and starts a single-node HDFS with WebHDFS on `httpPort`, waits until WebHDFS
 * answers, and returns a handle to stop it. Fails fast if the port is already serving.
 *
 * @example
 * const hdfs = await startMiniHdfs({ stateDir: '/tmp/oxbow-hdfs' });
 * const fs = openFileSystem(`${hdfs.url}/lake`, { hdfs: { user: 'oxbow' } });
 * // …
 * await hdfs.stop();
 */
export async function startMiniHdfs(options: MiniHdfsOptions): Promise<MiniHdfs> {
  const version = options.version ?? DEFAULT_HADOOP_VERSION;
  const httpPort = options.httpPort ?? DEFAULT_HDFS_HTTP_PORT;
  const rpcPort = options.rpcPort ?? DEFAULT_HDFS_RPC_PORT;
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const webhdfsUrl = `http://127.0.0.1:${httpPort}/webhdfs/v1`;
  if (await webhdfsAnswers(webhdfsUrl)) {
    throw new Error(`port ${httpPort} already serves WebHDFS: another HDFS is running (stop it first)`);
  }
  const classpath = await prepareMiniHdfs(version, options.jarCacheRoot, options.infraDir);
  const dataDir = join(options.stateDir, 'hdfs');
  mkdirSync(dataDir, { recursive: true });
  const logPath = join(options.stateDir, 'hdfs.log');
  const log = createWriteStream(logPath, { flags: 'a' });

  const started = performance.now();
  const child = spawn(
    'java',
    [
      `-Xmx${options.heapMb ?? 384}m`,
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Djava.net.preferIPv4Stack=true',
      '-cp',
      classpath,
      LAUNCHER_CLASS,
      '--base-dir',
      dataDir,
      '--rpc-port',
      String(rpcPort),
      '--http-port',
      String(httpPort),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const ready = new Promise<void>((resolveReady) => {
    const lines = createInterface({ input: child.stdout ?? process.stdin });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      if (line.startsWith('OXBOW_HDFS_READY')) resolveReady();
    });
  });
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    delay(timeoutMs).then(() => 'timeout' as const),
  ]);
  if (outcome !== 'ready') {
    child.kill('SIGKILL');
    await exited;
    log.end();
    throw new Error(`HDFS did not start (${outcome}); last log lines:\n${tail(logPath)}`);
  }
  while (!(await webhdfsAnswers(webhdfsUrl))) {
    if (performance.now() - started > timeoutMs) {
      await stopChild(child, exited);
      log.end();
      throw new Error(`WebHDFS at ${webhdfsUrl} did not answer within ${timeoutMs} ms`);
    }
    await delay(200);
  }
  const startMillis = Math.round(performance.now() - started);
  const pid = child.pid ?? -1;
  return {
    url: `hdfs://127.0.0.1:${httpPort}`,
    webhdfsUrl,
    httpPort,
    rpcPort,
    pid,
    startMillis,
    async stop() {
      await stopChild(child, exited);
      log.end();
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const outcome = await Promise.race([exited.then(() => 'exited'), delay(30_000).then(() => 'timeout')]);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

async function webhdfsAnswers(webhdfsUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${webhdfsUrl}/?op=GETFILESTATUS&user.name=oxbow`, {
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
