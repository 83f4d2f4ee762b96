/**
 * The serving benchmark's speed layer: `startSpeed` (what `oxbow speed` runs) on the configuration of the
 * environment; reports `READY {}` once it consumes and stops on SIGTERM.
 */
import { loadConfig } from '@oxbow/config';
import { startSpeed } from '@oxbow/speed';

/** What the process reports once it consumes (nothing but that it does). */
export type SpeedReady = Record<string, never>;

const { config } = await loadConfig({ env: process.env, noFile: true });
const speed = await startSpeed(config, { log: (line) => console.error(line) });
console.log('READY {}');
await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
await speed.stop();
process.exit(0);
