/**
 * Metrics of a one-shot process written as a file for node_exporter's textfile collector: the whole file is
 * replaced at once (written beside it, then renamed), so the collector never reads half of it.
 */
import { rename, writeFile } from 'node:fs/promises';
import type { Registry } from 'prom-client';

/**
 * Writes `registry`'s metrics (without the process metrics: the process is gone when they are read) to `path`
 * in the Prometheus text format, atomically.
 *
 * @example
 * await writeMetricsTextfile('/var/lib/node_exporter/textfile/oxbow_batch.prom', registry);
 */
export async function writeMetricsTextfile(path: string, registry: Registry): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, await registry.metrics());
  await rename(temporary, path);
}
