/**
 * The serving benchmark's API process: `startServing` (what `oxbow serve` runs) on the configuration of the
 * environment (`OXBOW_*`), the project of `OXBOW_PROJECT`; reports `READY {"url","startMs"}` once it listens
 * (after the batch version is loaded into memory) and closes on SIGTERM.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '@oxbow/config';
import { startServing } from '@oxbow/serving';

/** What the process reports when it listens. */
export interface ApiReady {
  readonly url: string;
  /** Milliseconds from the start of the process to listening (the batch version loaded). */
  readonly startMs: number;
}

const started = performance.now();
const { config } = await loadConfig({ env: process.env, noFile: true });
const server = await startServing(config, { port: 0, host: '127.0.0.1' });
// SIGUSR2: collect garbage (when exposed) and report the memory in use.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  console.log(`MEMORY ${JSON.stringify(process.memoryUsage())}`);
});
// SIGUSR1 is the inspector's; SIGWINCH: report the event loop's delay since the last report (ms), then reset it.
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
process.on('SIGWINCH', () => {
  const ms = (ns: number) => ns / 1e6;
  console.log(
    `LOOP ${JSON.stringify({ p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) })}`,
  );
  delay.reset();
});
const ready: ApiReady = { url: server.url, startMs: performance.now() - started };
console.log(`READY ${JSON.stringify(ready)}`);
await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
await server.close();
process.exit(0);
