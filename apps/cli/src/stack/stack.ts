import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OxbowConfig } from '@oxbow/config';
import type { Clock } from '../clock.ts';
import { CliError } from '../errors.ts';
import type { Output } from '../output.ts';
import { assertPortsFree } from './ports.ts';
import {
  isOurProcess,
  type ProcessRecord,
  readProcessRecord,
  startDetached,
  stopProcess,
} from './processes.ts';
import type { ServiceDefinition, StackContext } from './service.ts';
import { SERVICES } from './services/index.ts';

/** Inputs shared by the stack operations. */
export interface StackOptions {
  readonly config: OxbowConfig;
  readonly clock: Clock;
  readonly output: Output;
  /** Optional services to include (`--with hdfs`). */
  readonly with?: readonly string[];
}

/** One service's state as `stack status` reports it. */
export interface ServiceStatus {
  readonly name: string;
  readonly address: string;
  readonly healthy: boolean;
  /** True when the process in this state dir's PID file is running and is the one we started. */
  readonly managed: boolean;
  readonly pid: number | null;
  readonly log: string;
  readonly error?: string;
}

/** The services selected by `--with` (all mandatory ones plus the named optional ones). */
export function selectServices(withServices: readonly string[] = []): ServiceDefinition[] {
  for (const name of withServices) {
    const service = SERVICES.find((candidate) => candidate.name === name);
    if (!service?.optional) {
      const optional = SERVICES.filter((candidate) => candidate.optional).map((candidate) => candidate.name);
      throw new CliError(
        'OXBOW_USAGE',
        `--with ${name}: not an optional service (available: ${optional.length ? optional.join(', ') : 'none yet'})`,
      );
    }
  }
  return SERVICES.filter((service) => !service.optional || withServices.includes(service.name));
}

/** Finds a service by name for `stack logs SERVICE`. */
export function findService(name: string): ServiceDefinition {
  const service = SERVICES.find((candidate) => candidate.name === name);
  if (!service) {
    throw new CliError(
      'OXBOW_USAGE',
      `unknown service "${name}" (services: ${SERVICES.map((candidate) => candidate.name).join(', ')})`,
    );
  }
  return service;
}

/** The directories and files of one service under the state dir. */
export function contextFor(service: ServiceDefinition, options: StackOptions): StackContext {
  const serviceDir = join(options.config.stateDir, service.name);
  return {
    config: options.config,
    serviceDir,
    dataDir: join(serviceDir, 'data'),
    logFile: join(serviceDir, `${service.name}.log`),
    pidFile: join(serviceDir, `${service.name}.pid`),
    clock: options.clock,
    say: (line) => options.output.out(`${service.name}: ${line}`),
  };
}

async function isHealthy(service: ServiceDefinition, context: StackContext): Promise<string | undefined> {
  try {
    await service.healthCheck(context);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function runningRecord(context: StackContext): ProcessRecord | undefined {
  const record = readProcessRecord(context.pidFile);
  return record && isOurProcess(record) ? record : undefined;
}

async function waitHealthy(
  service: ServiceDefinition,
  context: StackContext,
  record: ProcessRecord,
): Promise<void> {
  const { clock } = context;
  const deadline = clock.now() + service.startTimeoutMs;
  for (;;) {
    if ((await isHealthy(service, context)) === undefined) return;
    if (!isOurProcess(record)) {
      throw new CliError(
        'OXBOW_SERVICE_START_FAILED',
        `${service.name} exited during start-up (pid ${record.pid}); see ${context.logFile}`,
      );
    }
    if (clock.now() >= deadline) {
      throw new CliError(
        'OXBOW_SERVICE_UNHEALTHY',
        `${service.name} did not become healthy within ${Math.round(service.startTimeoutMs / 1000)} s; see ${context.logFile} (it is still running: oxbow stack down stops it)`,
      );
    }
    await clock.sleep(250);
  }
}

/**
 * Brings the stack up: services already healthy are left alone, the others are checked (ports, Java, jars),
 * prepared and started detached, then awaited until healthy; finally default topics and buckets are created.
 *
 * @example
 * await stackUp({ config, clock: systemClock, output: processOutput });
 */
export async function stackUp(options: StackOptions): Promise<ServiceStatus[]> {
  const { clock, output } = options;
  const began = clock.now();
  const services = selectServices(options.with);
  mkdirSync(options.config.stateDir, { recursive: true });
  const plans = await Promise.all(
    services.map(async (service) => {
      const context = contextFor(service, options);
      const healthy = (await isHealthy(service, context)) === undefined;
      return { service, context, healthy, running: healthy ? undefined : runningRecord(context) };
    }),
  );
  const toStart = plans.filter((plan) => !plan.healthy && !plan.running);
  for (const plan of toStart) await assertPortsFree(plan.service.name, plan.service.ports(options.config));
  for (const plan of toStart) {
    mkdirSync(plan.context.serviceDir, { recursive: true });
    await plan.service.fetch(plan.context);
  }
  for (const plan of toStart) await plan.service.prepare(plan.context);

  await Promise.all(
    plans.map(async ({ service, context, healthy, running }) => {
      if (healthy) {
        context.say(`already healthy at ${service.address(options.config)}`);
        return;
      }
      const startedAt = clock.now();
      let record = running;
      if (record) {
        context.say(`process ${record.pid} is running but not healthy yet; waiting`);
      } else {
        record = startDetached(service.command(context), context.logFile, context.pidFile);
        context.say(`started (pid ${record.pid}), log ${context.logFile}`);
      }
      await waitHealthy(service, context, record);
      context.say(`healthy at ${service.address(options.config)} after ${seconds(clock.now() - startedAt)}`);
    }),
  );
  for (const { service, context } of plans) {
    for (const line of await service.setup(context)) context.say(line);
  }
  output.out(`stack up in ${seconds(clock.now() - began)} (state dir ${options.config.stateDir})`);
  return stackStatus(options);
}

/** Stops, in reverse start order, exactly the processes this state dir's PID files record as ours. */
export async function stackDown(options: StackOptions): Promise<void> {
  const { clock } = options;
  const services = [...selectServices(SERVICES.filter((s) => s.optional).map((s) => s.name))].reverse();
  for (const service of services) {
    const context = contextFor(service, options);
    const record = readProcessRecord(context.pidFile);
    const startedAt = clock.now();
    const outcome = await stopProcess(context.pidFile, service.stopGraceMs, clock);
    switch (outcome) {
      case 'not-running':
        break;
      case 'stale-pid-file':
        context.say(`process ${record?.pid} is gone (or no longer ours); removed its PID file`);
        break;
      case 'terminated':
        context.say(`stopped pid ${record?.pid} in ${seconds(clock.now() - startedAt)}`);
        break;
      case 'killed':
        context.say(`pid ${record?.pid} ignored SIGTERM for ${seconds(service.stopGraceMs)}; killed`);
        break;
    }
  }
  options.output.out('stack down');
}

/** Health and address of every service (mandatory ones, plus optional ones that are running). */
export async function stackStatus(options: StackOptions): Promise<ServiceStatus[]> {
  return Promise.all(
    SERVICES.map(async (service) => {
      const context = contextFor(service, options);
      const record = runningRecord(context);
      const error = await isHealthy(service, context);
      return {
        name: service.name,
        address: service.address(options.config),
        healthy: error === undefined,
        managed: record !== undefined,
        pid: record?.pid ?? null,
        log: context.logFile,
        ...(error === undefined ? {} : { error }),
      };
    }),
  ).then((statuses) =>
    statuses.filter((status, index) => !SERVICES[index]?.optional || status.managed || status.healthy),
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
