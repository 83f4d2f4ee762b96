/**
 * A batch run that stops after uploading its data files, before the manifest: it prints `DATA-WRITTEN <runId>`
 * and waits to be killed. Usage: node crash-child.ts <lakeUrl>
 */
import { runBatch } from '../../src/run/run-batch.ts';
import { testConfig } from './test-config.ts';

const lakeUrl = process.argv[2];
if (lakeUrl === undefined) throw new Error('usage: crash-child.ts <lakeUrl>');
await runBatch(testConfig(lakeUrl, { batchLockTtlMs: 5000 }), {
  engine: 'rdd',
  lockSettleMs: 20,
  afterDataWritten: async (runId) => {
    process.stdout.write(`DATA-WRITTEN ${runId}\n`);
    await new Promise(() => {});
  },
});
