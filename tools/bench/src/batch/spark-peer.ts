/**
 * The Apache Spark peer of the batch benchmark: fetches Spark's jars from Maven Central with
 * `mvn dependency:copy-dependencies` (tools/bench/spark/pom.xml) into `~/.cache/oxbow/jars/spark-<version>`,
 * compiles tools/bench/spark/src/OxbowSparkViews.java with `javac` into the cache, and runs it with `java` in
 * local mode over the benchmark lake. Both caches are reused when present.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeasured } from './measured-process.ts';
import type { EngineRun, ViewTotals } from './results.ts';

const SPARK_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../spark');
const POM = join(SPARK_DIR, 'pom.xml');
const SOURCE = join(SPARK_DIR, 'src/OxbowSparkViews.java');
const LOG_CONFIG = join(SPARK_DIR, 'log4j2.properties');
const COMPLETE_MARKER = '.complete';

/**
 * The JVM options Spark 4 needs on Java 17+ (what spark-submit adds, from Spark's `JavaModuleOptions`), plus the
 * heap size.
 */
export const SPARK_JVM_OPTIONS: readonly string[] = [
  '-XX:+IgnoreUnrecognizedVMOptions',
  '--add-modules=jdk.incubator.vector',
  ...[
    'java.base/java.lang',
    'java.base/java.lang.invoke',
    'java.base/java.lang.reflect',
    'java.base/java.io',
    'java.base/java.net',
    'java.base/java.nio',
    'java.base/java.util',
    'java.base/java.util.concurrent',
    'java.base/java.util.concurrent.atomic',
    'java.base/jdk.internal.ref',
    'java.base/sun.nio.ch',
    'java.base/sun.nio.cs',
    'java.base/sun.security.action',
    'java.base/sun.util.calendar',
    'java.security.jgss/sun.security.krb5',
  ].map((pkg) => `--add-opens=${pkg}=ALL-UNNAMED`),
  '-Djdk.reflect.useDirectMethodHandle=false',
  '-Dio.netty.tryReflectionSetAccessible=true',
];

/** What the Spark program printed. */
export interface SparkResult {
  readonly sparkVersion: string;
  readonly javaVersion: string;
  readonly master: string;
  /** `percentile_approx`'s accuracy (relative rank error 1/accuracy). */
  readonly accuracy: number;
  /** From spawning `java` until its `main` runs (JVM start). */
  readonly jvmStartSeconds: number;
  /** Building the SparkSession (class loading, local executor). */
  readonly sessionSeconds: number;
  /** Reading the Parquet files and computing and collecting the views. */
  readonly querySeconds: number;
  readonly views: readonly (ViewTotals & { readonly seconds: number })[];
}

/** The Spark version the pom fetches. */
export function sparkVersion(): string {
  const match = /<spark\.version>([^<]+)<\/spark\.version>/.exec(readFileSync(POM, 'utf8'));
  if (!match?.[1]) throw new Error(`${POM}: no <spark.version> property`);
  return match[1];
}

/** The directory of Spark's jars, fetched from Maven Central unless a complete copy is cached. */
export async function ensureSparkJars(version: string): Promise<string> {
  const target = join(homedir(), '.cache/oxbow/jars', `spark-${version}`);
  if (existsSync(join(target, COMPLETE_MARKER))) return target;
  const staging = `${target}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  console.log(`batch: fetching Spark ${version} jars from Maven Central into ${target}`);
  await run('mvn', [
    '-q',
    '-B',
    '-f',
    POM,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${staging}`,
    `-Dspark.version=${version}`,
  ]);
  writeFileSync(join(staging, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return target;
}

/** Compiles the Spark program into the cache (keyed by its source and the jars), unless already compiled. */
export async function ensureSparkProgram(jars: string): Promise<string> {
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).update(jars).digest('hex').slice(0, 12);
  const classes = join(homedir(), '.cache/oxbow/bench', `spark-peer-${hash}`);
  if (existsSync(join(classes, 'OxbowSparkViews.class'))) return classes;
  const staging = `${classes}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await run('javac', ['-nowarn', '-d', staging, '-cp', `${jars}/*`, SOURCE]);
  rmSync(classes, { recursive: true, force: true });
  renameSync(staging, classes);
  return classes;
}

/**
 * Runs the Spark program in its own JVM over `<lakeDir>/events/<topic>/*\/*.parquet` with `master` (e.g.
 * `local[2]`) and `percentile_approx` accuracy `accuracy`, and returns its row (wall time from spawning `java` until
 * the session stopped) and what it printed.
 */
export async function runSparkPeer(
  lakeDir: string,
  options: { master: string; heap: string; accuracy: number; eventsRead: number },
): Promise<{ run: EngineRun; spark: SparkResult }> {
  const jars = await ensureSparkJars(sparkVersion());
  const classes = await ensureSparkProgram(jars);
  const measured = await runMeasured<SparkResult>('java', [
    `-Xmx${options.heap}`,
    ...SPARK_JVM_OPTIONS,
    `-Dlog4j2.configurationFile=${LOG_CONFIG}`,
    '-cp',
    `${jars}/*:${classes}`,
    'OxbowSparkViews',
    lakeDir,
    options.master,
    String(Date.now()),
    String(options.accuracy),
  ]);
  const spark = measured.result;
  return {
    spark,
    run: {
      name: `Spark ${spark.sparkVersion} ${spark.master}`,
      wallSeconds: measured.wallSeconds,
      cpuSeconds: measured.cpuSeconds,
      peakRssBytes: measured.peakRssBytes,
      eventsRead: options.eventsRead,
      note:
        `java launched to SparkSession stopped: JVM start ${spark.jvmStartSeconds.toFixed(2)} s, session ` +
        `${spark.sessionSeconds.toFixed(2)} s, query ${spark.querySeconds.toFixed(2)} s (results collected, not written); ` +
        `percentile_approx accuracy ${spark.accuracy}`,
      views: spark.views,
    },
  };
}

/** Runs a command, resolving with its stdout; rejects with its output tail when it fails. */
function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => reject(new Error(`cannot run ${command}: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolvePromise(stdout);
      else reject(new Error(`${command} exited with ${code}:\n${(stdout + stderr).slice(-3000)}`));
    });
  });
}
