/** The `redis-server` arguments the local stack starts its Redis nodes with, standalone or in the cluster. */

/**
 * One node on `port`: loopback only, protected mode, data in `dir`, AOF on, RDB snapshots off, in the foreground,
 * one I/O thread.
 *
 * @example
 * ```ts
 * spawn('redis-server', redisServerArguments(26379, '.oxbow/redis/data'));
 * ```
 */
export function redisServerArguments(port: number, dir: string): string[] {
  return [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--save',
    '',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
    '--io-threads',
    '1',
  ];
}
