import { describeConfig, type ResolvedConfig } from '@oxbow/config';
import type { Output } from '../output.ts';

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** What replaces a secret in the output. */
const MASK = '********';

/**
 * `value` with the password of any URL in it masked (`redis://:pw@host` → `redis://:********@host`,
 * `mqtt://user:pw@host` → `mqtt://user:********@host`); other values unchanged.
 *
 * @example
 * maskUrlPassword('rediss://default:s3cret@redis.example:6380/0'); // 'rediss://default:********@redis.example:6380/0'
 */
export function maskUrlPassword(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  // scheme://[user]:password@ — the password runs to the last @ before the host.
  return value.replace(
    /^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^/]*@/i,
    (_match, head: string) => `${head}:${MASK}@`,
  );
}

/**
 * `oxbow config`: prints every setting's effective value and where it came from, as a table or JSON. Secret
 * settings and the password of any URL setting (`redisUrl`, `ingestMqttUrl`, …) are masked unless
 * `showSecrets` (`--show-secrets`).
 */
export function printConfig(
  resolved: ResolvedConfig,
  options: { json: boolean; showSecrets: boolean },
  output: Output,
): void {
  const rows = describeConfig(resolved, { showSecrets: options.showSecrets }).map((row) =>
    options.showSecrets ? row : { ...row, value: maskUrlPassword(row.value) },
  );
  if (options.json) {
    const settings = Object.fromEntries(
      rows.map((row) => [row.name, { value: row.value, source: row.source, from: row.from, env: row.env }]),
    );
    output.out(JSON.stringify({ file: resolved.file ?? null, settings }, null, 2));
    return;
  }
  const table = [
    ['SETTING', 'VALUE', 'SOURCE', 'ENV'],
    ...rows.map((row) => [
      row.name,
      show(row.value),
      row.source === 'file' || row.source === 'flag' ? `${row.source} (${row.from})` : row.source,
      row.env,
    ]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...table.map((row) => row[column]?.length ?? 0)));
  for (const row of table) {
    output.out(row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell)).join('  '));
  }
  output.out(`config file: ${resolved.file ?? 'none'}`);
}
