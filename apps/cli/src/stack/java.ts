import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.ts';

/** The Java major version the stack's JVM services need. */
export const MINIMUM_JAVA = 17;

let checkedJava: string | undefined;

/** The `java` executable: `$JAVA_HOME/bin/java` when set, else `java` from PATH. */
export function javaExecutable(): string {
  const home = process.env.JAVA_HOME;
  if (home && existsSync(join(home, 'bin', 'java'))) return join(home, 'bin', 'java');
  return 'java';
}

/** Parses the major version from `java -version` output (`"17.0.15"` → 17, `"1.8.0_392"` → 8). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/** Checks once per process that Java ≥ 17 is available and returns its executable. */
export function requireJava(): string {
  if (checkedJava) return checkedJava;
  const java = javaExecutable();
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (result.error) {
    throw new CliError(
      'OXBOW_JAVA_MISSING',
      `Java not found (${java}): install a JDK ≥ ${MINIMUM_JAVA}, e.g. apt-get install openjdk-17-jre-headless, or set JAVA_HOME`,
    );
  }
  const major = parseJavaMajor(`${result.stderr}${result.stdout}`);
  if (major === undefined || major < MINIMUM_JAVA) {
    throw new CliError(
      'OXBOW_JAVA_TOO_OLD',
      `Java ${major ?? 'of unknown version'} found (${java}) but Kafka and S3Proxy need Java ≥ ${MINIMUM_JAVA}: install openjdk-17 or set JAVA_HOME`,
    );
  }
  checkedJava = java;
  return java;
}
