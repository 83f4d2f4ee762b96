/**
 * The process of the stack's `redis-cluster` service (`oxbow stack up --with redis-cluster`).
 *
 * The stack runs one process per service and records it in one PID file; a Redis Cluster is three
 * `redis-server` processes. This supervisor is that one process: it starts the three nodes (each with its own
 * data dir `node-<port>` under the service's data dir), forms the cluster with `redis-cli --cluster create` the
 * first time and reuses it afterwards (the nodes keep it in `nodes-<port>.conf`), prefixes each node's log
 * lines with its port, forwards SIGTERM/SIGINT to the nodes and exits when they have, and stops the others and
 * exits 1 when a node dies on its own. It imports nothing heavy: the service's health check (and nothing in
 * here) is what `stack up` waits for.
 *
 * Run by the service as `node redis-cluster-supervisor.ts --redis-server PATH --redis-cli PATH --data-dir DIR
 * --port P1 --port P2 --port P3`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { redisServerArguments } from './redis-server-arguments.ts';

/** The number of hash slots of a Redis Cluster; all of them are assigned once the cluster is formed. */
export const CLUSTER_SLOTS = 16_384;

/** How long the supervisor lets the nodes shut down after SIGTERM before it kills them. */
export const NODE_STOP_GRACE_MS = 8_000;

/** What the supervisor needs to run the cluster. */
export interface SupervisorOptions {
  readonly redisServer: string;
  readonly redisCli: string;
  /** Holds one data dir per node, `node-<port>`. */
  readonly dataDir: string;
  /** The nodes' client ports; each node's cluster bus listens on its port + 10000. */
  readonly ports: readonly number[];
}

/** `CLUSTER INFO` as field → value (`cluster_state` → `ok`, `cluster_slots_assigned` → `16384`, …). */
export function parseClusterInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/**
 * Why a node's `CLUSTER INFO` does not describe a healthy cluster of `nodeCount` nodes, all masters serving slots,
 * with every slot assigned; undefined when it does.
 */
export function clusterInfoProblem(info: Record<string, string>, nodeCount: number): string | undefined {
  if (info.cluster_state !== 'ok') return `cluster_state is ${info.cluster_state ?? 'missing'}`;
  if (info.cluster_slots_assigned !== String(CLUSTER_SLOTS)) {
    return `${info.cluster_slots_assigned ?? 0} of ${CLUSTER_SLOTS} slots assigned`;
  }
  if (info.cluster_known_nodes !== String(nodeCount)) {
    return `${info.cluster_known_nodes ?? 0} known nodes, expected ${nodeCount}`;
  }
  if (info.cluster_size !== String(nodeCount)) {
    return `${info.cluster_size ?? 0} masters serve slots, expected ${nodeCount}`;
  }
  return undefined;
}

/** The arguments of one cluster node: loopback only, AOF on, RDB snapshots off, cluster state in its data dir. */
export function nodeArguments(port: number, nodeDir: string): string[] {
  return [
    ...redisServerArguments(port, nodeDir),
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    `nodes-${port}.conf`,
  ];
}

interface CliResult {
  readonly code: number;
  readonly output: string;
}

function runRedisCli(redisCli: string, args: readonly string[], timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve) => {
    // TERM=dumb: `redis-cli --cluster` colours its output when TERM names a colour terminal, even into a pipe.
    execFile(
      redisCli,
      [...args],
      { timeout: timeoutMs, env: { ...process.env, TERM: 'dumb' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}`.trim() });
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} supervisor: ${line}\n`);
}

/** Runs the cluster until SIGTERM/SIGINT or until a node dies; resolves with the exit code. */
export function superviseRedisCluster(options: SupervisorOptions): Promise<number> {
  const nodes = new Map<number, ChildProcess>();
  let stopping = false;
  let exitCode = 0;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const stopAll = (code: number, reason: string) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    log(`${reason}; stopping the nodes`);
    for (const node of nodes.values()) node.kill('SIGTERM');
    setTimeout(() => {
      for (const [port, node] of nodes) {
        log(`node ${port} ignored SIGTERM for ${NODE_STOP_GRACE_MS} ms; killing it`);
        node.kill('SIGKILL');
      }
    }, NODE_STOP_GRACE_MS).unref();
    if (nodes.size === 0) finish(exitCode);
  };

  process.on('SIGTERM', () => stopAll(0, 'SIGTERM'));
  process.on('SIGINT', () => stopAll(0, 'SIGINT'));

  for (const port of options.ports) {
    const nodeDir = join(options.dataDir, `node-${port}`);
    mkdirSync(nodeDir, { recursive: true });
    const node = spawn(options.redisServer, nodeArguments(port, nodeDir), {
      cwd: nodeDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    nodes.set(port, node);
    for (const stream of [node.stdout, node.stderr]) {
      if (stream)
        createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${port}] ${line}\n`));
    }
    node.on('error', (error) => log(`node ${port}: ${error.message}`));
    node.on('exit', (code, signal) => {
      nodes.delete(port);
      if (!stopping) stopAll(1, `node ${port} exited on its own (${signal ?? `code ${code}`})`);
      else log(`node ${port} stopped (${signal ?? `code ${code}`})`);
      if (nodes.size === 0) finish(exitCode);
    });
    log(`started node ${port} (pid ${node.pid}) in ${nodeDir}`);
  }

  void formCluster(options, () => stopping).then(
    (outcome) => {
      if (outcome !== undefined) stopAll(1, outcome);
    },
    (error: unknown) => stopAll(1, `forming the cluster failed: ${String(error)}`),
  );
  return finished;
}

async function clusterInfos(redisCli: string, ports: readonly number[]): Promise<Record<string, string>[]> {
  return Promise.all(
    ports.map(async (port) => {
      const reply = await runRedisCli(
        redisCli,
        ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info'],
        3000,
      );
      if (reply.code !== 0) throw new Error(`CLUSTER INFO on ${port}: ${reply.output}`);
      return parseClusterInfo(reply.output);
    }),
  );
}

/**
 * Waits for the nodes to answer, then creates the cluster unless they already form one. Resolves with a reason
 * to stop, or undefined when the cluster is formed (or the supervisor is stopping anyway).
 */
async function formCluster(options: SupervisorOptions, stopping: () => boolean): Promise<string | undefined> {
  const { redisCli, ports } = options;
  const deadline = Date.now() + 20_000;
  for (const port of ports) {
    for (;;) {
      if (stopping()) return undefined;
      const reply = await runRedisCli(redisCli, ['-h', '127.0.0.1', '-p', String(port), 'ping'], 2000);
      if (reply.code === 0 && reply.output === 'PONG') break;
      if (Date.now() > deadline) return `node ${port} did not answer PING within 20 s (${reply.output})`;
      await sleep(100);
    }
  }
  const infos = await clusterInfos(redisCli, ports);
  const knows = (info: Record<string, string>, nodes: number, slots: number) =>
    info.cluster_known_nodes === String(nodes) && info.cluster_slots_assigned === String(slots);
  if (infos.every((info) => knows(info, ports.length, CLUSTER_SLOTS))) {
    log(`reusing the cluster formed earlier (nodes-<port>.conf in ${options.dataDir}/node-<port>)`);
  } else if (infos.every((info) => knows(info, 1, 0))) {
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    log(`creating the cluster: redis-cli --cluster create ${addresses.join(' ')} --cluster-replicas 0`);
    const created = await runRedisCli(
      redisCli,
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      60_000,
    );
    for (const line of created.output.split('\n')) log(`redis-cli: ${line}`);
    if (created.code !== 0) return `redis-cli --cluster create failed (exit code ${created.code})`;
  } else {
    const seen = infos.map(
      (info, index) =>
        `${ports[index]}: ${info.cluster_known_nodes} nodes, ${info.cluster_slots_assigned} slots`,
    );
    return `the nodes hold a half-formed cluster (${seen.join('; ')}); stop the service and remove ${options.dataDir} to form a new one`;
  }
  while (!stopping()) {
    const problems = (await clusterInfos(redisCli, ports)).map((info) =>
      clusterInfoProblem(info, ports.length),
    );
    if (problems.every((problem) => problem === undefined)) {
      log(`cluster_state:ok on all ${ports.length} nodes, ${CLUSTER_SLOTS} slots assigned`);
      return undefined;
    }
    await sleep(250);
  }
  return undefined;
}

function parseSupervisorArgs(argv: readonly string[]): SupervisorOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'redis-server': { type: 'string' },
      'redis-cli': { type: 'string' },
      'data-dir': { type: 'string' },
      port: { type: 'string', multiple: true },
    },
    strict: true,
  });
  const ports = (values.port ?? []).map(Number);
  const redisServer = values['redis-server'];
  const redisCli = values['redis-cli'];
  const dataDir = values['data-dir'];
  if (!redisServer || !redisCli || !dataDir || ports.length === 0 || !ports.every(Number.isInteger)) {
    throw new Error(
      'usage: redis-cluster-supervisor --redis-server PATH --redis-cli PATH --data-dir DIR --port P [--port P …]',
    );
  }
  return { redisServer, redisCli, dataDir, ports };
}

if (import.meta.main) {
  const options = parseSupervisorArgs(process.argv.slice(2));
  log(`pid ${process.pid}, nodes ${options.ports.join(', ')}`);
  const code = await superviseRedisCluster(options);
  log(`exiting with code ${code}`);
  process.exit(code);
}
