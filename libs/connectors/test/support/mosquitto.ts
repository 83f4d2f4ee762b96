/**
 * Mosquitto for the MQTT tests, from the Debian package (`apt-get install mosquitto`):
 * - {@link ensureStackMqtt}: the local stack's broker (`oxbow stack up --with mqtt`, port 21883 or
 *   `OXBOW_MQTT_PORT`), started through the CLI when nothing answers there;
 * - {@link startPrivateMosquitto}: a broker of the test's own, with persistence and optional users, that the
 *   test may stop and start again (the stack's broker is shared, so tests do not restart it).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@oxbow/testing-tools';
import { connect } from 'mqtt';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** The stack broker's URL. */
export const STACK_MQTT_URL = `mqtt://127.0.0.1:${process.env.OXBOW_MQTT_PORT ?? 21883}`;

function findBinary(name: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin']) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  throw new Error(`${name} not found: install the Debian package with \`apt-get install mosquitto\``);
}

/**
 * Resolves true when a broker at `url` answers a CONNECT with a CONNACK (whatever its return code: a broker
 * that refuses anonymous clients is still up).
 */
export function mqttAnswers(url: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const client = connect(url, {
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      clientId: `oxbow-probe-${process.pid}`,
    });
    const done = (answer: boolean) => {
      client.removeAllListeners();
      client.on('error', () => {});
      client.end(true);
      resolve(answer);
    };
    client.once('connect', () => done(true));
    client.once('error', (error) => done(typeof (error as { code?: unknown }).code === 'number'));
    client.once('close', () => done(false));
  });
}

/** Makes sure the stack's broker answers, running `oxbow stack up --with mqtt` if it does not. */
export async function ensureStackMqtt(): Promise<string> {
  if (await mqttAnswers(STACK_MQTT_URL)) return STACK_MQTT_URL;
  const node = join(REPO_ROOT, 'node_modules', '.bin', 'node');
  try {
    await run(node, [join(REPO_ROOT, 'apps', 'cli', 'src', 'main.ts'), 'stack', 'up', '--with', 'mqtt'], {
      cwd: REPO_ROOT,
      timeout: 180_000,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`oxbow stack up --with mqtt failed: ${stderr || stdout || String(error)}`);
  }
  if (!(await mqttAnswers(STACK_MQTT_URL)))
    throw new Error(`the stack's broker does not answer at ${STACK_MQTT_URL}`);
  return STACK_MQTT_URL;
}

/** A broker of the test's own. */
export interface PrivateMosquitto {
  readonly url: string;
  readonly port: number;
  /** Starts the broker (again) on the same port, config and persistence. */
  start(): Promise<void>;
  /** SIGTERM (Mosquitto saves its persistence file), then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts Mosquitto on a free loopback port with persistence in `dir`; with `users`, anonymous clients are refused
 * and those users (name → password) are accepted.
 */
export async function startPrivateMosquitto(
  dir: string,
  users?: Record<string, string>,
): Promise<PrivateMosquitto> {
  const binary = findBinary('mosquitto');
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  mkdirSync(join(dir, 'data'), { recursive: true });
  const lines = [
    `listener ${port} 127.0.0.1`,
    'persistence true',
    `persistence_location ${join(dir, 'data')}/`,
    'max_queued_messages 100000',
    `user ${userInfo().username}`,
    'log_dest stdout',
  ];
  if (users) {
    const passwordFile = join(dir, 'passwd');
    writeFileSync(passwordFile, '', { mode: 0o600 });
    for (const [user, password] of Object.entries(users)) {
      await run(findBinary('mosquitto_passwd'), ['-b', passwordFile, user, password]);
    }
    lines.push('allow_anonymous false', `password_file ${passwordFile}`);
  } else {
    lines.push('allow_anonymous true');
  }
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(config, `${lines.join('\n')}\n`);
  const log = createWriteStream(join(dir, 'mosquitto.log'), { flags: 'a' });
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const handle: PrivateMosquitto = {
    url,
    port,
    async start() {
      const broker = spawn(binary, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      broker.stdout?.pipe(log, { end: false });
      broker.stderr?.pipe(log, { end: false });
      child = broker;
      exited = new Promise((resolve) => broker.once('exit', () => resolve()));
      const deadline = Date.now() + 10_000;
      while (!(await mqttAnswers(url, 500))) {
        if (broker.exitCode !== null || Date.now() > deadline) {
          throw new Error(`mosquitto did not start on ${url}; see ${join(dir, 'mosquitto.log')}`);
        }
        await sleep(50);
      }
    },
    async stop() {
      child?.kill('SIGTERM');
      await exited;
      child = undefined;
    },
  };
  await handle.start();
  return handle;
}
