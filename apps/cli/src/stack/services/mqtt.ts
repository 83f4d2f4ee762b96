/**
 * MQTT for `oxbow stack up --with mqtt`: the machine's Mosquitto (`apt-get install mosquitto`, the Debian
 * package) on a port of its own (21883, `OXBOW_MQTT_PORT`), bound to 127.0.0.1, with its config file and
 * persistence under `<stateDir>/mqtt/` — never the system service. Persistence is on, so persistent sessions
 * (clean session off) and their queued QoS 1 messages survive a restart of the broker.
 */
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import type { OxbowConfig } from '@oxbow/config';
import { CliError } from '../../errors.ts';
import { isPortFree } from '../ports.ts';
import type { ServiceDefinition } from '../service.ts';

/** The broker's port unless `OXBOW_MQTT_PORT` says otherwise. */
export const DEFAULT_MQTT_PORT = 21883;

/**
 * The port of the stack's broker. Read from the environment until `@oxbow/config` has an `mqttPort` setting
 * (then `config.mqttPort`, and `ports()` declares it like the other services' ports).
 */
export function mqttPort(_config?: OxbowConfig): number {
  const raw = process.env.OXBOW_MQTT_PORT;
  if (raw === undefined || raw === '') return DEFAULT_MQTT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new CliError('OXBOW_USAGE', `OXBOW_MQTT_PORT must be a port number (1–65535), got "${raw}"`);
  }
  return port;
}

function findMosquitto(): string | undefined {
  // Debian installs the broker in /usr/sbin, which is not on every user's PATH.
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin']) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'mosquitto'), constants.X_OK);
      return join(dir, 'mosquitto');
    } catch {}
  }
  return undefined;
}

function requireMosquitto(): string {
  const path = findMosquitto();
  if (!path) {
    throw new CliError(
      'OXBOW_BINARY_MISSING',
      'mosquitto not found: install it with `apt-get install mosquitto` (the stack runs its own broker on its own port, not the system service)',
    );
  }
  return path;
}

/** The broker's configuration: loopback only, anonymous clients, persistence in the service's data dir. */
export function mosquittoConfig(port: number, dataDir: string): string {
  return [
    '# Written by `oxbow stack up --with mqtt`; rewritten on every start.',
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence true',
    `persistence_location ${dataDir}/`,
    'autosave_interval 30',
    // Offline persistent sessions keep up to this many QoS 1/2 messages (the default, 1000, is small for tests).
    'max_queued_messages 100000',
    'persistent_client_expiration 7d',
    // Do not drop privileges to the `mosquitto` user: the state dir belongs to whoever runs the stack.
    `user ${userInfo().username}`,
    'log_dest stdout',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'log_timestamp_format %Y-%m-%dT%H:%M:%S',
    '',
  ].join('\n');
}

/**
 * Resolves when an MQTT 3.1.1 CONNECT to `127.0.0.1:port` is accepted (CONNACK return code 0); rejects
 * otherwise. A raw packet, so the CLI needs no MQTT client library.
 */
export function mqttPing(port: number, timeoutMs = 2000): Promise<void> {
  // CONNECT: protocol "MQTT" level 4, clean session, keep-alive 10 s, empty client id.
  const connectPacket = Buffer.from([
    0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x0a, 0x00, 0x00,
  ]);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => fail(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
    let reply = Buffer.alloc(0);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.on('connect', () => socket.write(connectPacket));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      if (reply.length < 4) return;
      clearTimeout(timer);
      if (reply[0] !== 0x20 || reply[1] !== 0x02) return fail(new Error('the reply is not a CONNACK'));
      if (reply[3] !== 0) return fail(new Error(`CONNACK return code ${reply[3]}`));
      socket.end(Buffer.from([0xe0, 0x00])); // DISCONNECT
      resolve();
    });
    socket.on('error', (error) => fail(error));
  });
}

/** Mosquitto on `mqttPort` (default 21883); optional (`--with mqtt`). */
export const mqttService: ServiceDefinition = {
  name: 'mqtt',
  optional: true,
  stopGraceMs: 10_000,
  startTimeoutMs: 20_000,
  // The port is not an @oxbow/config setting yet, so it is checked in `prepare` (see mqttPort).
  ports: () => [],
  address: (config) => `mqtt://127.0.0.1:${mqttPort(config)}`,

  async fetch() {
    requireMosquitto();
  },

  async prepare(context) {
    const port = mqttPort(context.config);
    if (!(await isPortFree(port))) {
      throw new CliError(
        'OXBOW_PORT_IN_USE',
        `port ${port} for mqtt is already in use by another process; free it or choose another port with OXBOW_MQTT_PORT=<port>`,
      );
    }
    mkdirSync(context.dataDir, { recursive: true });
    writeFileSync(join(context.serviceDir, 'mosquitto.conf'), mosquittoConfig(port, context.dataDir));
  },

  command(context) {
    return {
      command: requireMosquitto(),
      args: ['-c', join(context.serviceDir, 'mosquitto.conf')],
      cwd: context.serviceDir,
    };
  },

  async healthCheck(context) {
    await mqttPing(mqttPort(context.config));
  },

  async setup() {
    return [];
  },
};
