import type { OxbowConfig, SettingName } from '@oxbow/config';
import type { Clock } from '../clock.ts';

/** A loopback port a service listens on, and the setting that chooses it. */
export interface PortBinding {
  readonly port: number;
  readonly setting: SettingName;
  readonly env: string;
}

/** How to launch a service's process. */
export interface LaunchCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** What a service sees of the stack: configuration, its own directories and a way to report progress. */
export interface StackContext {
  readonly config: OxbowConfig;
  /** `<stateDir>/<service>`: config files, data, log and PID file of this service. */
  readonly serviceDir: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly pidFile: string;
  readonly clock: Clock;
  /** Reports one line of progress, prefixed with the service name. */
  say(line: string): void;
}

/**
 * One service of the local stack. Adding a service (e.g. HDFS) is one more file implementing this and a line
 * in `services/index.ts`.
 */
export interface ServiceDefinition {
  readonly name: string;
  /** Optional services start only with `oxbow stack up --with <name>`. */
  readonly optional: boolean;
  /** Grace period between SIGTERM and SIGKILL on `stack down`. */
  readonly stopGraceMs: number;
  /** How long `stack up` waits for the health check after starting the process. */
  readonly startTimeoutMs: number;
  ports(config: OxbowConfig): PortBinding[];
  /** The address clients use, e.g. `127.0.0.1:29092` or `http://127.0.0.1:29000`. */
  address(config: OxbowConfig): string;
  /** Checks prerequisites and downloads what the service needs (jars); idempotent, reuses caches. */
  fetch(context: StackContext): Promise<void>;
  /** Writes config files and initialises storage before the first start; idempotent. */
  prepare(context: StackContext): Promise<void>;
  command(context: StackContext): LaunchCommand;
  /** Resolves when the service answers a real request; rejects (quickly) otherwise. */
  healthCheck(context: StackContext): Promise<void>;
  /** Creates default resources (topics, buckets) if missing; returns one line per thing it did. */
  setup(context: StackContext): Promise<string[]>;
}
