/**
 * A batch run (configured by the `OXBOW_*` environment) that stops after uploading its data files, before its
 * manifest: it prints `DATA-WRITTEN <runId>` and waits to be killed. Prints `NOT-PUBLISHING <status>` when the run
 * had nothing to do (locked, nothing sealed).
 */
import { runBatch } from '@oxbow/batch';
import { loadConfig } from '@oxbow/config';

const { config } = await loadConfig({ env: process.env, noFile: true });
const summary = await runBatch(config, {
  lockSettleMs: 20,
  afterDataWritten: async (runId) => {
    process.stdout.write(`DATA-WRITTEN ${runId}\n`);
    await new Promise(() => {});
  },
});
process.stdout.write(`NOT-PUBLISHING ${summary.status}\n`);
