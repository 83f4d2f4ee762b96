import { describeConfig, type ResolvedConfig } from '@oxbow/config';
import type { Output } from '../output.ts';

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** `oxbow config`: prints every setting's effective value and where it came from, as a table or JSON. */
export function printConfig(
  resolved: ResolvedConfig,
  options: { json: boolean; showSecrets: boolean },
  output: Output,
): void {
  const rows = describeConfig(resolved, { showSecrets: options.showSecrets });
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
