/**
 * The serving benchmark's processes: each part (the API, the bare fastify peer, the speed layer, the load
 * generator) runs in a Node process of its own, started from a script of this directory; a child reports
 * `READY <json>` on stdout when it can be used, and stops on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A started child process and what it reported when ready. */
export interface Child<T> {
  readonly process: ChildProcess;
  readonly ready: T;
  /** Lines the child wrote (stdout and stderr), for failure messages. */
  readonly lines: string[];
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** The absolute path of a script of this directory. */
export function script(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/**
 * Starts `node <script> <args>` and resolves with the JSON of its `READY` line (rejects if it exits first or
 * after `timeoutMs`).
 */
export async function startChild<T>(
  file: string,
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    execArgv?: readonly string[];
    timeoutMs?: number;
    log?: (line: string) => void;
  } = {},
): Promise<Child<T>> {
  const child = spawn(process.execPath, [...(options.execArgv ?? []), file, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `${file} not ready after ${options.timeoutMs ?? 600_000} ms:\n${lines.slice(-20).join('\n')}`,
          ),
        ),
      options.timeoutMs ?? 600_000,
    );
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > 500) lines.splice(0, 100);
      options.log?.(line);
      if (line.startsWith('READY ')) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(6)) as T);
      }
    };
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code} before it was ready:\n${lines.slice(-30).join('\n')}`));
    });
  });
  return {
    process: child,
    ready,
    lines,
    stop: async (graceMs = 30_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CPU seconds (user + system) process `pid` used so far (Linux `/proc`, 10 ms resolution), or NaN. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of process `pid` in bytes (Linux `/proc`), or NaN. */
export function rssOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Runs a child to completion and returns the JSON of its `RESULT` line. */
export async function runChild<T>(
  file: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<T> {
  const child = spawn(process.execPath, [file, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let result: T | undefined;
  const onLine = (line: string) => {
    lines.push(line);
    if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as T;
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 || result === undefined) {
    throw new Error(`${file} ${args.join(' ')} exited with ${code}:\n${lines.slice(-30).join('\n')}`);
  }
  return result;
}

/**
 * Deletes every key under `prefix` of the Redis at `url` (`redis://host:port`): one `EVAL` of a SCAN/DEL loop
 * (never KEYS), sent in RESP over a plain socket.
 */
export function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const lua =
    "local cursor = '0' repeat local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000) cursor = page[1] for _, key in ipairs(page[2]) do redis.call('DEL', key) end until cursor == '0' return 0";
  const glob = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  const parts = ['EVAL', lua, '0', glob];
  const command = `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port || 6379) }, () =>
      socket.write(command),
    );
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (!reply.endsWith('\r\n')) return;
      socket.end();
      if (reply.startsWith('-')) reject(new Error(reply.trim()));
      else resolve();
    });
    socket.on('error', reject);
  });
}
